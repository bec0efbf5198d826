#include "harness/harness.hpp"

#include <sys/wait.h>

#include <cstdio>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "util/fs.hpp"

namespace lifeboat::test {

bool skips_disallowed() {
  const char* ci = std::getenv("CI");
  const char* no_skip = std::getenv("LIFEBOAT_TEST_NO_SKIP");
  return (ci != nullptr && std::string(ci) == "true") ||
         (no_skip != nullptr && std::string(no_skip) == "1");
}

std::filesystem::path shared_testdata(const std::string& sub) {
  std::filesystem::path p = std::filesystem::path(LIFEBOAT_SHARED_DIR) / "testdata" / sub;
  if (const char* env = std::getenv("LIFEBOAT_SHARED_DIR")) {
    p = std::filesystem::path(env) / "testdata" / sub;
  }
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::filesystem::path base = tmp != nullptr ? tmp : "/tmp";
  m_path = base / ("lifeboat-test-" + random_suffix(10));
  std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  bool failed = info != nullptr && info->result() != nullptr && info->result()->Failed();
  if (failed || std::getenv("LIFEBOAT_KEEP_TEMP") != nullptr) {
    std::cerr << "kept test directory: " << m_path << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(m_path, ec);
}

std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    return {-1, out};
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
  }
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

} // namespace lifeboat::test
