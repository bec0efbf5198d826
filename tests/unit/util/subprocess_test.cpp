#include <gtest/gtest.h>

#include "util/subprocess.hpp"

using namespace lifeboat;

namespace {

std::string read_all(Subprocess& child) {
  std::string out;
  std::array<std::byte, 4096> buf{};
  while (std::size_t n = child.read_stdout(buf)) {
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return out;
}

} // namespace

TEST(Subprocess, Fd3CarriesASecretOutsideArgvAndEnvironment) {
  // The child reads the secret once from fd 3; its argv and environment hold no trace.
  Subprocess child({.argv = {"sh", "-c", "cat /dev/fd/3; tr '\\0' ' ' </proc/$$/cmdline; env"},
                    .pipe_stdout = true,
                    .fd3_content = "[lifeboat]\nsslpassword=s3cr=t\n"},
                   "");
  std::string out = read_all(child);
  EXPECT_EQ(child.wait(), 0);
  EXPECT_TRUE(out.starts_with("[lifeboat]\nsslpassword=s3cr=t\n")) << out;
  EXPECT_EQ(out.find("s3cr=t", 30), std::string::npos) << out;
}

TEST(Subprocess, NoFd3WithoutContent) {
  Subprocess child({.argv = {"sh", "-c", "test -e /dev/fd/3 && echo open || echo closed"},
                    .pipe_stdout = true},
                   "");
  EXPECT_EQ(read_all(child), "closed\n");
  EXPECT_EQ(child.wait(), 0);
}
