#include <gtest/gtest.h>

#include "util/time.hpp"

using namespace lifeboat;

TEST(Time, ParsesEveryDocumentedForm) {
  auto z = parse_iso8601("2025-01-02T03:04:05Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(format_iso8601(*z), "2025-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-02T05:04:05+02:00")), "2025-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-02T01:34:05-01:30")), "2025-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-02 03:04:05")), "2025-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-02")), "2025-01-02T00:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-02-29T23:59:59.999Z")), "2024-02-29T23:59:59Z");
}

TEST(Time, RejectsNonsense) {
  for (const char* bad : {"", "yesterday", "2025-13-01", "2025-02-30", "2023-02-29", "2025-01-02T25:00",
                          "2025-01-02T03:04:05Q", "2025-1-2", "2025-01-02T03:04:05Z trailing"}) {
    auto r = parse_iso8601(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_EQ(parse_iso8601("yesterday").error(),
            "invalid time 'yesterday': expected ISO 8601 such as 2025-01-02T03:04:05Z or 2025-01-02");
}

TEST(Time, CompactRoundTrip) {
  auto t = parse_compact("20261124-030000");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_compact(*t), "20261124-030000");
  EXPECT_FALSE(parse_compact("20261124030000"));
  EXPECT_FALSE(parse_compact("20261324-030000"));
}

// Found by tests/fuzz (names, manifest): a year past 2261 overflowed the nanosecond
// TimePoint, which is undefined behaviour; an id with second 60 meant the next minute.
TEST(Time, YearsATimePointCannotHoldAreRefused) {
  for (const char* bad : {"2826-12-03T13:17:45Z", "2426-12-03T13:17:45.825Z", "9999-12-31",
                          "0001-01-01T00:00:00Z", "1677-09-21"}) {
    auto r = parse_iso8601(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("outside the years 1900 to 2200"), std::string::npos) << r.error();
  }
  EXPECT_FALSE(parse_compact("28261124-030001"));
  EXPECT_TRUE(parse_iso8601("2200-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_iso8601("1900-01-01"));
}

TEST(Time, AnIdTimestampHasOneSpelling) {
  auto r = parse_compact("20261124-035960");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("seconds run from 00 to 59"), std::string::npos) << r.error();
  EXPECT_TRUE(parse_iso8601("2016-12-31T23:59:60Z")); // a leap second, as RFC 3339 allows
}

TEST(Time, Durations) {
  EXPECT_EQ(parse_duration("90s")->count(), 90);
  EXPECT_EQ(parse_duration("45m")->count(), 45 * 60);
  EXPECT_EQ(parse_duration("36h")->count(), 36 * 3600);
  EXPECT_EQ(parse_duration("14d")->count(), 14 * 86400);
  EXPECT_EQ(parse_duration("2w")->count(), 14 * 86400);
  EXPECT_EQ(parse_duration("1d12h")->count(), 36 * 3600);
  for (const char* bad : {"", "10", "h", "10x", "1d12", "-5m"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}
