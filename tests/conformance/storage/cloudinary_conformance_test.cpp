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
#include "util/error.hpp"

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

// Beyond the suite: what the backend takes from /usage (the script sets the fake's storage
// limit to 1 GB and its largest raw file to 100 MiB), and rename.
TEST(CloudinaryExtras, SpaceAndTheLargestObjectComeFromUsage) {
  auto s = open_fresh();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->capabilities().object_size_limit);
  EXPECT_FALSE(s->max_object_size(1000)); // below every plan's limit: not even asked
  EXPECT_EQ(s->max_object_size(200u * 1024 * 1024), 100u * 1024 * 1024);
  auto space = s->space();
  ASSERT_TRUE(space);
  EXPECT_EQ(space->total, 1'000'000'000u);
  EXPECT_LE(space->available, space->total);
}

TEST(CloudinaryExtras, RenameNeverOverwrites) {
  auto s = open_fresh();
  ASSERT_TRUE(s);
  s->write_all("r/a", "alpha");
  s->write_all("r/c", "gamma");
  EXPECT_TRUE(s->rename("r/a", "r/b"));
  EXPECT_FALSE(s->stat("r/a"));
  EXPECT_EQ(s->read_all("r/b"), "alpha");
  EXPECT_THROW(s->rename("r/b", "r/c"), Error);
  EXPECT_EQ(s->read_all("r/c"), "gamma");
}

} // namespace lifeboat::test
