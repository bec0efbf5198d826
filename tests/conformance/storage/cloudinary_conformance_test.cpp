// The storage conformance suite against the fake Cloudinary (tests/harness/
// fake_cloudinary.py, started by tests/e2e/cloudinary_conformance_test.sh, which passes a
// cloudinary:// URL in LIFEBOAT_TEST_CLOUDINARY_URL). The URL sets small chunks (and the
// fake a small least chunk) so that large objects cross chunk boundaries, and a small
// max_results so that listings page.
#include "storage_conformance.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "storage/storage.hpp"

namespace lifeboat::test {

namespace {

std::unique_ptr<storage::Storage> open_fresh() {
  const char* base = std::getenv("LIFEBOAT_TEST_CLOUDINARY_URL"); // cloudinary:///?api_host=...
  if (base == nullptr) {
    ADD_FAILURE() << "LIFEBOAT_TEST_CLOUDINARY_URL is not set: run tests/e2e/cloudinary_conformance_test.sh";
    return nullptr;
  }
  static std::atomic<int> n{0};
  std::string url(base);
  auto q = url.find('?');
  std::string prefix = "conformance-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  url = url.substr(0, q) + prefix + (q == std::string::npos ? "" : url.substr(q));
  return storage::open_storage(url);
}

} // namespace

INSTANTIATE_TEST_SUITE_P(
    Cloudinary, StorageConformance,
    testing::Values(StorageFactory{"cloudinary", [](const TempDir&) { return open_fresh(); },
                                   3 * 1024 * 1024 + 12345}),
    [](const testing::TestParamInfo<StorageFactory>& p) { return p.param.name; });

} // namespace lifeboat::test
