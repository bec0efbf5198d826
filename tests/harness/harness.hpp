// tests/harness: what every test needs: temporary directories that are kept on
// failure, the shared test data folder, and skips that fail under CI.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace lifeboat::test {

// True under CI=true or LIFEBOAT_TEST_NO_SKIP=1: a skip is then a failure.
bool skips_disallowed();

// ../shared/testdata/<sub>, or empty when the folder is absent.
std::filesystem::path shared_testdata(const std::string& sub);

// A fresh directory under $TMPDIR, removed at destruction unless the test failed
// or LIFEBOAT_KEEP_TEMP is set (then its path is printed).
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

// Runs `command` with /bin/sh; returns its exit status (-1 when it did not exit)
// and its standard output.
std::pair<int, std::string> shell(const std::string& command);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& data);

} // namespace lifeboat::test

// Skips with a reason, or fails the test when skips are disallowed (CI).
#define LIFEBOAT_SKIP(reason)                                                  \
  do {                                                                         \
    if (::lifeboat::test::skips_disallowed()) {                                \
      FAIL() << "skipped under CI (a skip is a failure here): " << (reason);   \
    }                                                                          \
    GTEST_SKIP() << (reason);                                                  \
  } while (false)

// Skips (or fails, under CI) unless `condition` holds: for a tool or data set a test needs.
#define LIFEBOAT_REQUIRE(condition, reason)                                    \
  do {                                                                         \
    if (!(condition)) {                                                        \
      LIFEBOAT_SKIP(reason);                                                   \
    }                                                                          \
  } while (false)
