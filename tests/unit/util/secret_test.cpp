#include <gtest/gtest.h>

#include <fmt/format.h>

#include "util/secret.hpp"

using namespace lifeboat;

TEST(Secret, NeverFormatsItsValue) {
  Secret s("hunter2");
  EXPECT_EQ(fmt::format("{}", s), "***");
  EXPECT_EQ(fmt::format("pw={:>5}", s), "pw=  ***");
  EXPECT_EQ(s.reveal(), "hunter2");
  static_assert(!std::is_convertible_v<Secret, std::string>);
}
