#include <gtest/gtest.h>

#include <sys/mount.h>

#include "harness/harness.hpp"
#include "storage/file/file_storage.hpp"

using namespace lifeboat;
namespace fs = std::filesystem;

namespace {

size_t files_under(const fs::path& p) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(p)) {
    n += e.is_regular_file() ? 1 : 0;
  }
  return n;
}

} // namespace

TEST(Registry, OpensPathsAndFileUrls) {
  test::TempDir dir;
  EXPECT_EQ(storage::open_storage((dir / "a").string())->display_url(), (dir / "a").string());
  EXPECT_EQ(storage::open_storage("file://" + (dir / "b").string())->display_url(),
            (dir / "b").string());
  EXPECT_EQ(storage::open_storage("./rel")->display_url(), "./rel");
  EXPECT_EQ(storage::storage_schemes(), (std::vector<std::string>{"file", "s3", "cloudinary"}));
  try {
    storage::open_storage("ftp://user:pw@example.com/x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()),
              "unsupported storage URL 'ftp://user:***@example.com/x': known schemes are file, s3, cloudinary");
  }
  EXPECT_THROW(storage::open_storage("file://relative/path"), Error);
}

TEST(FileStorage, LeavesNoTemporaryFiles) {
  test::TempDir dir;
  auto s = storage::open_storage(dir.path().string());
  s->write_all("db/one", "1");
  { auto w = s->open_write("db/two"); w->write(pipeline::as_bytes("2")); }
  EXPECT_EQ(files_under(dir.path()), 1u);
  EXPECT_TRUE(fs::exists(dir / "db/one"));
}

TEST(FileStorage, RootThatIsAFileIsAClearError) {
  test::TempDir dir;
  test::write_file(dir / "afile", "x");
  auto s = storage::open_storage((dir / "afile").string());
  try {
    s->write_all("db/k", "v");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permanent);
    EXPECT_EQ(std::string(e.what()),
              "storage '" + (dir / "afile").string() + "' is not a directory");
  }
}

TEST(FileStorage, FullDiskIsPermanentWithAHintAndLeavesNothing) {
  test::TempDir dir;
  fs::path mnt = dir / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=512k") != 0) {
    LIFEBOAT_SKIP("cannot mount a small tmpfs here (needs root)");
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount(p.c_str()); }
  } unmount{mnt};
  auto s = storage::open_storage((mnt / "store").string());
  auto w = s->open_write("db/big");
  std::string block(64 * 1024, 'x');
  try {
    for (int i = 0; i < 100; ++i) {
      w->write(pipeline::as_bytes(block));
    }
    w->commit();
    FAIL() << "1 MiB fitted in 512 KiB";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permanent);
    EXPECT_EQ(std::string(e.what()), "unable to write object 'db/big' in storage '" +
                                         (mnt / "store").string() +
                                         "': No space left on device");
    EXPECT_EQ(e.hint(), "Free some space on that file system or choose another destination with --to.");
  }
  w.reset();
  EXPECT_EQ(files_under(mnt), 0u);
  EXPECT_FALSE(s->stat("db/big"));
}

TEST(FileStorage, ReportsSpace) {
  test::TempDir dir;
  auto s = storage::open_storage((dir / "not-yet").string());
  auto space = s->space();
  ASSERT_TRUE(space.has_value());
  EXPECT_GT(space->total, 0u);
  EXPECT_LE(space->available, space->total);
}

TEST(FileStorage, AFailingDirectorySyncLeavesNothingVisible) {
  test::TempDir dir;
  storage::file::FileStorage s(dir.path());
  s.write_all("app/first", "kept");
  s.set_directory_sync([](const fs::path& d) {
    throw Error(ErrorKind::transient, "unable to sync directory '" + d.string() + "': I/O error");
  });
  for (bool overwrite : {false, true}) {
    auto w = s.open_write("app/second", {.overwrite = overwrite});
    std::string data = "never half-committed";
    w->write(std::as_bytes(std::span(data.data(), data.size())));
    try {
      w->commit();
      FAIL() << "commit succeeded although the directory sync failed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::transient);
      EXPECT_EQ(std::string(e.what()),
                "unable to store object 'app/second' in storage '" + dir.path().string() +
                    "': unable to sync directory '" + (dir.path() / "app").string() +
                    "': I/O error");
    }
    EXPECT_FALSE(s.stat("app/second")) << "a failed commit left the object visible";
    w.reset();
  }
  EXPECT_EQ(s.list_all("app/").size(), 1u);
  EXPECT_EQ(files_under(dir.path()), 1u); // no temporary file either
}
