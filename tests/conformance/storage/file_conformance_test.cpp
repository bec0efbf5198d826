#include "storage_conformance.hpp"

#include "storage/file/file_storage.hpp"

namespace lifeboat::test {

INSTANTIATE_TEST_SUITE_P(
    File, StorageConformance,
    testing::Values(StorageFactory{"file", [](const TempDir& dir) {
                                     return storage::open_storage((dir / "store").string());
                                   }}),
    [](const testing::TestParamInfo<StorageFactory>& p) { return p.param.name; });

} // namespace lifeboat::test
