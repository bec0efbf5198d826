// tests/unit/util/tz: TimeZone against hand-checked instants in three zones (north and
// south of the equator, east and west of Greenwich), its DST gap and overlap rule (Go's
// time.Date), the years only a file's POSIX footer covers, every zone of the database
// against glibc's localtime_r, and use from several threads at once.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness/harness.hpp"
#include "util/time.hpp"
#include "util/tz.hpp"

using namespace lifeboat;
using std::chrono::local_seconds;
using std::chrono::sys_seconds;

namespace {

bool have_tzdata() {
  return std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin");
}

#define REQUIRE_TZDATA()                                                                           \
  LIFEBOAT_REQUIRE(have_tzdata(), "no tz database in /usr/share/zoneinfo (Debian package tzdata)")

// "2024-03-31 01:30:00" as an instant (UTC).
sys_seconds utc(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) {
    throw std::runtime_error("bad time in test: " + text);
  }
  using namespace std::chrono;
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}

// "2024-03-31 02:30:00" as a wall-clock time.
local_seconds wall(const std::string& text) {
  return local_seconds{utc(text).time_since_epoch()};
}

std::string text(local_seconds t) {
  return format_human(TimePoint{t.time_since_epoch()});
}

std::string text(sys_seconds t) {
  return format_human(TimePoint{t.time_since_epoch()});
}

TimeZone zone(const std::string& name) {
  auto z = TimeZone::locate(name);
  if (!z) {
    throw std::runtime_error(z.error());
  }
  return *z;
}

std::string local_of(const TimeZone& z, const std::string& utc_text) {
  return text(z.to_local(utc(utc_text)));
}

std::string utc_of(const TimeZone& z, const std::string& wall_text) {
  return text(z.to_sys(wall(wall_text)));
}

TEST(TimeZone, UtcNeedsNoDatabase) {
  TimeZone z;
  EXPECT_EQ(z.name(), "UTC");
  EXPECT_EQ(z.offset(utc("2024-06-01 00:00:00")).count(), 0);
  EXPECT_EQ(local_of(z, "2024-03-31 02:30:00"), "2024-03-31 02:30:00");
  EXPECT_EQ(utc_of(z, "2024-03-31 02:30:00"), "2024-03-31 02:30:00");
  for (const char* name : {"", "UTC"}) {
    auto located = TimeZone::locate(name);
    ASSERT_TRUE(located) << located.error();
    EXPECT_EQ(located->name(), "UTC");
    EXPECT_EQ(located->offset(utc("2090-06-01 00:00:00")).count(), 0);
  }
}

TEST(TimeZone, EtcUtcComesFromTheDatabase) {
  REQUIRE_TZDATA();
  TimeZone z = zone("Etc/UTC");
  EXPECT_EQ(z.name(), "Etc/UTC");
  EXPECT_EQ(z.offset(utc("1900-01-01 00:00:00")).count(), 0);
  EXPECT_EQ(z.offset(utc("2090-06-01 00:00:00")).count(), 0);
}

TEST(TimeZone, UnknownZonesAreACleanError) {
  REQUIRE_TZDATA();
  for (const char* name : {"Mars/Olympus_Mons", "europe/berlin", "Europe/", "../../etc/passwd",
                           "/usr/share/zoneinfo/Europe/Berlin", "right/UTC", "posix/UTC",
                           "Europe/Berlin ", "Factory"}) {
    auto z = TimeZone::locate(name);
    ASSERT_FALSE(z) << name;
    EXPECT_EQ(z.error(), fmt::format("unknown time zone '{}': no such zone in "
                                     "'/usr/share/zoneinfo'",
                                     name));
  }
}

TEST(TimeZone, NamesAreTheZonesLocateAccepts) {
  REQUIRE_TZDATA();
  std::vector<std::string> names = TimeZone::names();
  ASSERT_GT(names.size(), 300U);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Etc/UTC",
                           "US/Eastern", "Asia/Kolkata"}) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), name)) << name;
  }
  EXPECT_FALSE(std::binary_search(names.begin(), names.end(), "right/UTC"));
  // Every zone locates: its file is readable and its footer is a rule we understand.
  for (const auto& name : names) {
    auto z = TimeZone::locate(name);
    EXPECT_TRUE(z) << z.error();
  }
}

TEST(TimeZone, LinksAreZonesUnderTheirOwnName) {
  REQUIRE_TZDATA();
  TimeZone link = zone("US/Eastern");
  TimeZone target = zone("America/New_York");
  EXPECT_EQ(link.name(), "US/Eastern");
  for (const char* t : {"2024-01-15 12:00:00", "2024-07-15 12:00:00", "2060-07-15 12:00:00"}) {
    EXPECT_EQ(link.offset(utc(t)), target.offset(utc(t))) << t;
  }
}

TEST(TimeZone, BerlinOffsetsGapsAndOverlaps) {
  REQUIRE_TZDATA();
  TimeZone z = zone("Europe/Berlin");
  EXPECT_EQ(z.name(), "Europe/Berlin");
  EXPECT_EQ(local_of(z, "2024-03-31 00:59:59"), "2024-03-31 01:59:59"); // CET
  EXPECT_EQ(local_of(z, "2024-03-31 01:00:00"), "2024-03-31 03:00:00"); // CEST
  EXPECT_EQ(local_of(z, "2024-10-27 00:59:59"), "2024-10-27 02:59:59"); // CEST
  EXPECT_EQ(local_of(z, "2024-10-27 01:00:00"), "2024-10-27 02:00:00"); // CET again
  EXPECT_EQ(z.offset(utc("1850-01-01 00:00:00")).count(), 3208);        // local mean time
  // A wall time in the spring gap resolves forward like Go: 02:30 -> 03:30 CEST.
  EXPECT_EQ(utc_of(z, "2024-03-31 02:30:00"), "2024-03-31 01:30:00");
  EXPECT_EQ(utc_of(z, "2024-03-31 02:00:00"), "2024-03-31 01:00:00");
  EXPECT_EQ(utc_of(z, "2024-03-31 03:00:00"), "2024-03-31 01:00:00");
  // The autumn hour that happens twice resolves to its second (CET) occurrence.
  EXPECT_EQ(utc_of(z, "2024-10-27 02:30:00"), "2024-10-27 01:30:00");
  EXPECT_EQ(utc_of(z, "2024-10-27 01:59:59"), "2024-10-26 23:59:59");
  EXPECT_EQ(utc_of(z, "2024-10-27 03:00:00"), "2024-10-27 02:00:00");
  EXPECT_EQ(utc_of(z, "2024-07-01 12:00:00"), "2024-07-01 10:00:00");
  EXPECT_EQ(utc_of(z, "2024-01-01 00:00:00"), "2023-12-31 23:00:00");
}

TEST(TimeZone, NewYorkGapsAndOverlapsResolveLikeGo) {
  REQUIRE_TZDATA();
  TimeZone z = zone("America/New_York");
  EXPECT_EQ(z.offset(utc("2024-01-15 12:00:00")).count(), -5 * 3600);
  EXPECT_EQ(z.offset(utc("2024-07-15 12:00:00")).count(), -4 * 3600);
  EXPECT_EQ(local_of(z, "2024-03-10 06:59:59"), "2024-03-10 01:59:59"); // EST
  EXPECT_EQ(local_of(z, "2024-03-10 07:00:00"), "2024-03-10 03:00:00"); // EDT
  EXPECT_EQ(local_of(z, "2024-11-03 05:59:59"), "2024-11-03 01:59:59"); // EDT
  EXPECT_EQ(local_of(z, "2024-11-03 06:00:00"), "2024-11-03 01:00:00"); // EST again
  // West of Greenwich Go's rule goes the other way: the skipped 02:30 takes the EDT
  // offset, 06:30 UTC = 01:30 EST, and the repeated 01:30 is its first (EDT) occurrence.
  EXPECT_EQ(utc_of(z, "2024-03-10 02:30:00"), "2024-03-10 06:30:00");
  EXPECT_EQ(utc_of(z, "2024-11-03 01:30:00"), "2024-11-03 05:30:00");
  EXPECT_EQ(utc_of(z, "2024-07-01 12:00:00"), "2024-07-01 16:00:00");
}

TEST(TimeZone, SydneyDaylightTimeSpansTheNewYear) {
  REQUIRE_TZDATA();
  TimeZone z = zone("Australia/Sydney");
  EXPECT_EQ(z.offset(utc("2024-01-15 00:00:00")).count(), 11 * 3600); // AEDT in summer
  EXPECT_EQ(z.offset(utc("2024-07-15 00:00:00")).count(), 10 * 3600); // AEST in winter
  EXPECT_EQ(local_of(z, "2024-12-31 13:30:00"), "2025-01-01 00:30:00");
  EXPECT_EQ(local_of(z, "2024-04-06 15:59:59"), "2024-04-07 02:59:59"); // AEDT
  EXPECT_EQ(local_of(z, "2024-04-06 16:00:00"), "2024-04-07 02:00:00"); // AEST again
  EXPECT_EQ(local_of(z, "2024-10-05 15:59:59"), "2024-10-06 01:59:59"); // AEST
  EXPECT_EQ(local_of(z, "2024-10-05 16:00:00"), "2024-10-06 03:00:00"); // AEDT
  // Spring gap (October): 02:30 -> 03:30 AEDT; autumn overlap (April): the second, AEST one.
  EXPECT_EQ(utc_of(z, "2024-10-06 02:30:00"), "2024-10-05 16:30:00");
  EXPECT_EQ(utc_of(z, "2024-04-07 02:30:00"), "2024-04-06 16:30:00");
}

TEST(TimeZone, YearsAfterTheTransitionTablesFollowTheFooterRule) {
  REQUIRE_TZDATA();
  // Debian's files list transitions up to 2037; later years come from the POSIX rule at
  // the end of each file (date/tz.h alone would keep 2037's last offset forever).
  TimeZone berlin = zone("Europe/Berlin");
  EXPECT_EQ(local_of(berlin, "2099-07-01 12:00:00"), "2099-07-01 14:00:00");
  EXPECT_EQ(local_of(berlin, "2099-01-01 12:00:00"), "2099-01-01 13:00:00");
  EXPECT_EQ(utc_of(berlin, "2050-03-27 02:30:00"), "2050-03-27 01:30:00"); // gap
  EXPECT_EQ(utc_of(berlin, "2050-10-30 02:30:00"), "2050-10-30 01:30:00"); // overlap
  TimeZone new_york = zone("America/New_York");
  EXPECT_EQ(local_of(new_york, "2050-07-01 16:00:00"), "2050-07-01 12:00:00");
  EXPECT_EQ(utc_of(new_york, "2050-03-13 02:30:00"), "2050-03-13 06:30:00");
  TimeZone sydney = zone("Australia/Sydney");
  EXPECT_EQ(local_of(sydney, "2049-12-31 13:30:00"), "2050-01-01 00:30:00");
  EXPECT_EQ(local_of(sydney, "2050-07-01 02:00:00"), "2050-07-01 12:00:00");
  EXPECT_EQ(utc_of(sydney, "2050-10-02 02:30:00"), "2050-10-01 16:30:00");
  EXPECT_EQ(utc_of(sydney, "2050-04-03 02:30:00"), "2050-04-02 16:30:00");
}

TEST(TimeZone, EveryWallTimeThatExistsRoundTrips) {
  REQUIRE_TZDATA();
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                           "Australia/Lord_Howe", "America/Nuuk"}) {
    TimeZone z = zone(name);
    for (const char* year_start : {"2024-01-01 00:00:00", "2061-01-01 00:00:00"}) {
      sys_seconds begin = utc(year_start);
      for (sys_seconds t = begin; t < begin + std::chrono::days{366};
           t += std::chrono::minutes{15}) {
        local_seconds l = z.to_local(t);
        ASSERT_EQ(z.to_local(z.to_sys(l)), l) << name << " at " << text(t);
      }
    }
  }
}

TEST(TimeZone, FarTimesDoNotBreakTheCalendar) {
  REQUIRE_TZDATA();
  TimeZone z = zone("Europe/Berlin");
  using std::chrono::seconds;
  for (std::int64_t t : {std::int64_t{-1} << 50, std::int64_t{1} << 50}) {
    sys_seconds s{seconds{t}};
    auto off = z.offset(s);
    EXPECT_LE(std::abs(off.count()), 3 * 3600);
    EXPECT_EQ(z.to_local(s).time_since_epoch(), s.time_since_epoch() + off);
  }
}

// Sets $TZ for one scope so that glibc's localtime_r answers for that zone (tests run on
// one thread here).
class TzEnv {
public:
  explicit TzEnv(const std::string& zone) {
    if (const char* old = std::getenv("TZ")) {
      m_old = old;
    }
    setenv("TZ", (":" + zone).c_str(), 1);
    tzset();
  }
  ~TzEnv() {
    if (m_old) {
      setenv("TZ", m_old->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  TzEnv(const TzEnv&) = delete;
  TzEnv& operator=(const TzEnv&) = delete;

private:
  std::optional<std::string> m_old;
};

// Number of instants where our offset differs from glibc's; reports the first three.
int mismatches(const std::string& name, const TimeZone& zone, std::int64_t from, std::int64_t to,
               std::int64_t step) {
  TzEnv env(name);
  int bad = 0;
  auto check = [&](std::int64_t t) {
    auto tt = static_cast<std::time_t>(t);
    std::tm tm{};
    if (localtime_r(&tt, &tm) == nullptr) {
      ADD_FAILURE() << "localtime_r failed";
      return;
    }
    auto ours = zone.offset(sys_seconds{std::chrono::seconds{t}}).count();
    if (ours != tm.tm_gmtoff && ++bad <= 3) {
      ADD_FAILURE() << name << " at " << format_iso8601(TimePoint{std::chrono::seconds{t}})
                    << ": ours " << ours << ", glibc " << tm.tm_gmtoff;
    }
  };
  for (std::int64_t t = from; t < to; t += step) {
    check(t);
    check(t - 1);
  }
  return bad;
}

constexpr std::int64_t k_1900 = -2208988800;
constexpr std::int64_t k_2024 = 1704067200;
constexpr std::int64_t k_2038 = 2145916800;
constexpr std::int64_t k_2090 = 3786825600;
constexpr std::int64_t k_2100 = 4102444800;

TEST(TimeZone, EveryZoneAgreesWithGlibc) {
  REQUIRE_TZDATA();
  // glibc reads the same files, footers included. Every zone, 1900 .. 2100, every 29 days
  // and 1 hour 7 seconds.
  for (const auto& name : TimeZone::names()) {
    auto z = TimeZone::locate(name);
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(mismatches(name, *z, k_1900, k_2100, 29 * 86400 + 3607), 0) << name;
  }
}

TEST(TimeZone, TrickyZonesAgreeWithGlibcEveryHalfHour) {
  REQUIRE_TZDATA();
  // Every half hour (and the second before) of a year from the tables and of years only the
  // footer covers, in zones with odd rules: 30-minute DST (Lord Howe), 45-minute offsets
  // (Chatham), negative DST (Dublin), a 2-hour DST (Troll), negative rule times (Nuuk),
  // rule hours past 24 (Jerusalem), the southern hemisphere (Sydney, Sao Paulo).
  for (const char* name :
       {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
        "Pacific/Chatham", "Europe/Dublin", "Antarctica/Troll", "America/Nuuk", "Asia/Jerusalem",
        "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tehran", "Africa/Casablanca", "America/St_Johns",
        "Pacific/Kiritimati", "Europe/London"}) {
    TimeZone z = zone(name);
    for (std::int64_t year_start : {k_2024, k_2038, k_2090}) {
      EXPECT_EQ(mismatches(name, z, year_start, year_start + 366 * 86400, 1800), 0) << name;
    }
  }
}

TEST(TimeZone, IsSafeToUseFromSeveralThreads) {
  REQUIRE_TZDATA();
  // Each test runs in its own process (gtest_discover_tests), so the threads below are the
  // first to open the database and to load these zones' files. Under `make tsan` this
  // caught a race inside libdate-tz on first use (issue 12): lookups are serialized now.
  const std::vector<std::string> names{"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                       "Asia/Kolkata", "Europe/Berlin"};
  auto work = [&](std::vector<std::int64_t>& out) {
    for (const auto& name : names) {
      auto z = TimeZone::locate(name);
      if (!z) {
        out.push_back(-1);
        continue;
      }
      for (std::int64_t t = k_2024; t < k_2100; t += 97 * 86400 + 3607) {
        sys_seconds s{std::chrono::seconds{t}};
        out.push_back(z->offset(s).count());
        out.push_back(z->to_sys(z->to_local(s)).time_since_epoch().count());
      }
    }
  };
  std::vector<std::vector<std::int64_t>> results(8);
  std::vector<std::thread> threads;
  for (auto& r : results) {
    threads.emplace_back(work, std::ref(r));
  }
  for (auto& t : threads) {
    t.join();
  }
  std::vector<std::int64_t> expected;
  work(expected);
  for (const auto& r : results) {
    EXPECT_EQ(r, expected);
  }
}

} // namespace
