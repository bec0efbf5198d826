// The storage conformance suite against a real S3-compatible server (s3rver, started on
// loopback by tests/e2e/s3_conformance_test.sh, which passes its URL in
// LIFEBOAT_TEST_S3_URL). Large objects cross part boundaries (6 MiB parts); every test
// gets its own prefix, and listing more than one page is exercised (1,000 keys a page).
#include "storage_conformance.hpp"

#include <atomic>
#include <cstdlib>

#include "storage/storage.hpp"

namespace lifeboat::test {

namespace {

std::unique_ptr<storage::Storage> open_fresh() {
  const char* base = std::getenv("LIFEBOAT_TEST_S3_URL"); // s3://bucket?endpoint=...
  if (base == nullptr) {
    ADD_FAILURE() << "LIFEBOAT_TEST_S3_URL is not set: run tests/e2e/s3_conformance_test.sh";
    return nullptr;
  }
  static std::atomic<int> n{0};
  std::string url(base);
  auto q = url.find('?');
  std::string prefix = "conformance-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  url = url.substr(0, q) + "/" + prefix + (q == std::string::npos ? "" : url.substr(q));
  return storage::open_storage(url);
}

} // namespace

INSTANTIATE_TEST_SUITE_P(
    S3, StorageConformance,
    testing::Values(StorageFactory{"s3", [](const TempDir&) { return open_fresh(); },
                                   20 * 1024 * 1024 + 12345}),
    [](const testing::TestParamInfo<StorageFactory>& p) { return p.param.name; });

} // namespace lifeboat::test
