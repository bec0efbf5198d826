// tests/unit/retention: the retention engine against restic's 40 golden policy files,
// our own golden tables of reasons, and the calendar edges (bucket boundaries, ISO week 53,
// leap days, daylight saving time in Europe/Berlin, calendar spans).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/backup_id.hpp"
#include "core/retention.hpp"
#include "harness/harness.hpp"

using namespace lifeboat;
using namespace lifeboat::core;

namespace {

// "2016-01-18 12:02:03", "2015-11-13T10:20:30.1Z": UTC, any number of fraction digits.
TimePoint at(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%c%d:%d:%d", &y, &mo, &d, &sep, &h, &mi, &s) != 7) {
    ADD_FAILURE() << "bad time in test: " << text;
    return {};
  }
  std::int64_t nanos = 0;
  if (text.size() > 19 && text[19] == '.') {
    std::string digits;
    for (std::size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      digits.push_back(text[i]);
    }
    digits.resize(9, '0');
    nanos = std::stoll(digits);
  }
  using namespace std::chrono;
  auto tp = sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s} + nanoseconds{nanos};
  return time_point_cast<system_clock::duration>(tp);
}

std::string text_of(TimePoint t) {
  auto s = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - s).count();
  std::string out = format_iso8601(s);
  if (ns != 0) {
    out.insert(out.size() - 1, fmt::format(".{:09}", ns));
  }
  return out;
}

std::vector<RetentionItem> items_at(const std::vector<std::string>& times) {
  std::vector<RetentionItem> items;
  for (const auto& t : times) {
    items.push_back({.id = t, .time = at(t)});
  }
  return items;
}

// Ids of the kept items, newest first.
std::vector<std::string> kept(const std::vector<RetentionDecision>& decisions) {
  std::vector<std::string> ids;
  for (const auto& d : decisions) {
    if (d.keep) {
      ids.push_back(d.id);
    }
  }
  return ids;
}

const RetentionDecision& decision_for(const std::vector<RetentionDecision>& decisions,
                                      const std::string& id) {
  auto it = std::find_if(decisions.begin(), decisions.end(),
                         [&](const RetentionDecision& d) { return d.id == id; });
  if (it == decisions.end()) {
    throw std::runtime_error("no decision for " + id);
  }
  return *it;
}

RetentionPolicy policy(const std::function<void(RetentionPolicy&)>& set) {
  RetentionPolicy p;
  set(p);
  return p;
}

RetentionSpan span(const std::string& text) {
  auto s = RetentionSpan::parse(text);
  if (!s) {
    ADD_FAILURE() << s.error();
    return {};
  }
  return *s;
}

const RetentionOptions k_pure{.keep_newest = false};

bool have_tzdata() {
  const char* tzdir = std::getenv("TZDIR");
  std::filesystem::path dir = tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo";
  return std::filesystem::exists(dir / "Europe/Berlin");
}

#define REQUIRE_TZDATA() \
  LIFEBOAT_REQUIRE(have_tzdata(), "no tz database in /usr/share/zoneinfo (Debian package tzdata)")

// ---- restic's golden files ----------------------------------------------------------------

struct Snapshot {
  TimePoint time{};
  std::vector<std::string> tags;
  std::vector<std::string> paths;
};

std::vector<std::string> strings_of(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && !j[key].is_null()) {
    for (const auto& v : j[key]) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string snapshot_text(const Snapshot& s) {
  std::string tags;
  std::string paths;
  for (const auto& t : s.tags) {
    tags += (tags.empty() ? "" : ",") + t;
  }
  for (const auto& p : s.paths) {
    paths += (paths.empty() ? "" : ",") + p;
  }
  return fmt::format("{} tags=[{}] paths=[{}]", text_of(s.time), tags, paths);
}

RetentionPolicy policy_from_json(const nlohmann::json& j) {
  RetentionPolicy p;
  for (const auto& [key, value] : j.items()) {
    if (key == "last") {
      p.last = value.get<int>();
    } else if (key == "hourly") {
      p.hourly = value.get<int>();
    } else if (key == "daily") {
      p.daily = value.get<int>();
    } else if (key == "weekly") {
      p.weekly = value.get<int>();
    } else if (key == "monthly") {
      p.monthly = value.get<int>();
    } else if (key == "yearly") {
      p.yearly = value.get<int>();
    } else if (key == "within") {
      p.within = span(value.get<std::string>());
    } else if (key == "within_hourly") {
      p.within_hourly = span(value.get<std::string>());
    } else if (key == "within_daily") {
      p.within_daily = span(value.get<std::string>());
    } else if (key == "within_weekly") {
      p.within_weekly = span(value.get<std::string>());
    } else if (key == "within_monthly") {
      p.within_monthly = span(value.get<std::string>());
    } else if (key == "within_yearly") {
      p.within_yearly = span(value.get<std::string>());
    } else if (key == "tags") {
      for (const auto& list : value) {
        p.keep_tags.push_back(list.get<std::vector<std::string>>());
      }
    } else {
      ADD_FAILURE() << "policy key the test does not know: " << key;
    }
  }
  return p;
}

std::string counters_text(const RetentionCounters& c) {
  return fmt::format("last={} hourly={} daily={} weekly={} monthly={} yearly={}", c.last, c.hourly,
                     c.daily, c.weekly, c.monthly, c.yearly);
}

class ResticGolden : public ::testing::TestWithParam<int> {};

TEST_P(ResticGolden, KeepsTheSameSnapshotsForTheSameReasons) {
  std::filesystem::path dir = test::shared_testdata("restic-policy");
  if (dir.empty()) {
    LIFEBOAT_SKIP("shared/testdata/restic-policy is absent");
  }
  const int n = GetParam();
  nlohmann::json input = nlohmann::json::parse(test::read_file(dir / "input.json"));
  ASSERT_EQ(input["policies"].size(), 40U);

  std::vector<Snapshot> snapshots;
  std::vector<RetentionItem> items;
  for (const auto& s : input["snapshots"]) {
    Snapshot snap{at(s["time"].get<std::string>()), strings_of(s, "tags"), strings_of(s, "paths")};
    items.push_back({.id = std::to_string(items.size()), .time = snap.time, .tags = snap.tags});
    snapshots.push_back(std::move(snap));
  }
  ASSERT_EQ(items.size(), 103U);
  RetentionPolicy p = policy_from_json(input["policies"][static_cast<std::size_t>(n)]);

  nlohmann::json golden =
      nlohmann::json::parse(test::read_file(dir / fmt::format("policy_keep_snapshots_{}", n)));
  std::string want;
  std::vector<Snapshot> want_keep;
  if (!golden["keep"].is_null()) {
    for (const auto& s : golden["keep"]) {
      want_keep.push_back(
          {at(s["time"].get<std::string>()), strings_of(s, "tags"), strings_of(s, "paths")});
    }
  }
  std::vector<nlohmann::json> want_reasons;
  if (golden.contains("reasons") && !golden["reasons"].is_null()) {
    want_reasons = golden["reasons"].get<std::vector<nlohmann::json>>();
  }
  ASSERT_EQ(want_keep.size(), want_reasons.size());
  for (std::size_t i = 0; i < want_keep.size(); ++i) {
    const auto& r = want_reasons[i];
    Snapshot rs{at(r["snapshot"]["time"].get<std::string>()), strings_of(r["snapshot"], "tags"),
                strings_of(r["snapshot"], "paths")};
    std::string matches;
    for (const auto& m : r["matches"]) {
      matches += (matches.empty() ? "" : "; ") + m.get<std::string>();
    }
    const auto& c = r["counters"];
    RetentionCounters counters{c.value("last", 0),   c.value("hourly", 0),  c.value("daily", 0),
                               c.value("weekly", 0), c.value("monthly", 0), c.value("yearly", 0)};
    want += fmt::format("{} | reason for {} | {} | {}\n", snapshot_text(want_keep[i]),
                        snapshot_text(rs), matches, counters_text(counters));
  }

  std::string got;
  auto decisions = apply_retention(p, items, k_pure);
  ASSERT_EQ(decisions.size(), items.size());
  for (const auto& d : decisions) {
    if (!d.keep) {
      continue;
    }
    const Snapshot& s = snapshots[d.index];
    std::string matches;
    for (const auto& r : d.reasons) {
      matches += (matches.empty() ? "" : "; ") + r.restic_str();
    }
    got += fmt::format("{} | reason for {} | {} | {}\n", snapshot_text(s), snapshot_text(s),
                       matches, counters_text(d.counters));
  }
  EXPECT_EQ(got, want) << "policy " << n << ": " << p.describe();
}

INSTANTIATE_TEST_SUITE_P(RetentionRestic, ResticGolden, ::testing::Range(0, 40));

// ---- our own golden tables ----------------------------------------------------------------

std::string table(const std::string& title, const RetentionPolicy& p,
                  const std::vector<RetentionItem>& items) {
  auto zone = TimeZone::locate(p.time_zone);
  EXPECT_TRUE(zone) << zone.error();
  auto decisions = apply_retention(p, items);
  std::string out = fmt::format("# {}\n# policy: {}\n", title, p.describe());
  std::size_t keep = 0;
  for (const auto& d : decisions) {
    keep += d.keep ? 1 : 0;
  }
  out += fmt::format("# {} backups: keep {}, remove {}\n", decisions.size(), keep,
                     decisions.size() - keep);
  std::string local_header = fmt::format("local ({})", zone->name());
  std::size_t width = std::max<std::size_t>(19, local_header.size());
  out += fmt::format("# {:<24} {:<19}  {:<{}}  {:<6}  {}\n", "id", "time (UTC)", local_header,
                     width, "action", "reasons");
  for (const auto& d : decisions) {
    auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(d.time));
    std::string line = fmt::format("{:<26} {:<19}  {:<{}}  {:<6}  {}", d.id, format_human(d.time),
                                   format_human(TimePoint{local.time_since_epoch()}), width,
                                   d.keep ? "keep" : "remove", d.reasons_text());
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

void check_golden(const std::string& name, const std::string& actual) {
  std::filesystem::path path = std::filesystem::path(LIFEBOAT_RETENTION_GOLDEN_DIR) / name;
  const char* update = std::getenv("LIFEBOAT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    test::write_file(path, actual);
    std::cerr << "updated golden file " << path << "\n";
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " is missing; create it with LIFEBOAT_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, test::read_file(path))
      << "the table differs from " << path
      << "; if the change is intended, regenerate with LIFEBOAT_UPDATE_GOLDEN=1";
}

std::vector<RetentionItem> backups(TimePoint first, std::chrono::seconds step, int count) {
  std::vector<RetentionItem> items;
  for (int i = 0; i < count; ++i) {
    BackupId id{"app", first + step * i};
    items.push_back({.id = id.str(), .time = id.time});
  }
  return items;
}

TEST(RetentionGolden, FourHundredDailyBackupsWithTheDefaultPolicy) {
  auto items = backups(at("2024-01-01 03:00:00"), std::chrono::hours(24), 400);
  check_golden("daily_400_default.txt",
               table("400 daily backups at 03:00 UTC, 2024-01-01 .. 2025-02-03",
                     RetentionPolicy::defaults(), items));
}

TEST(RetentionGolden, BerlinAcrossBothDaylightSavingChanges) {
  REQUIRE_TZDATA();
  // Every 3 hours around the spring and the autumn change of 2024, buckets in Berlin time;
  // the 23:30 UTC backups belong to the next local day.
  auto items = backups(at("2024-03-29 23:30:00"), std::chrono::hours(3), 32);
  auto autumn = backups(at("2024-10-24 23:30:00"), std::chrono::hours(3), 32);
  items.insert(items.end(), autumn.begin(), autumn.end());
  auto p = policy([](RetentionPolicy& r) {
    r.last = 2;
    r.hourly = 4;
    r.daily = 12;
    r.weekly = 3;
    r.monthly = -1;
    r.within = span("12h");
    r.time_zone = "Europe/Berlin";
  });
  check_golden("berlin_dst.txt",
               table("every 3 hours around 2024-03-31 and 2024-10-27, Europe/Berlin", p, items));
}

// ---- policies, spans, validation ----------------------------------------------------------

TEST(RetentionPolicy, DefaultsAreDesignMd) {
  RetentionPolicy p = RetentionPolicy::defaults();
  EXPECT_EQ(p.daily, 30);
  EXPECT_EQ(p.weekly, 12);
  EXPECT_EQ(p.monthly, 12);
  EXPECT_EQ(p.last + p.hourly + p.yearly, 0);
  EXPECT_TRUE(p.within.zero());
  EXPECT_EQ(p.time_zone, "");
  EXPECT_FALSE(p.empty());
  EXPECT_TRUE(validate(p));
  EXPECT_EQ(p.describe(), "keep 30 daily, 12 weekly, 12 monthly backups");
}

TEST(RetentionPolicy, Describes) {
  EXPECT_EQ(RetentionPolicy{}.describe(), "keep nothing");
  auto p = policy([](RetentionPolicy& r) {
    r.last = 3;
    r.hourly = -1;
    r.within_daily = span("7d");
    r.keep_tags = {{"safety"}, {"a", "b"}};
    r.within = span("1y6m");
    r.time_zone = "Europe/Berlin";
  });
  EXPECT_EQ(p.describe(),
            "keep 3 last, all hourly backups, daily backups within 7d and all backups with tags "
            "[safety] or [a, b] and all backups within 1y6m of the newest (calendar of "
            "Europe/Berlin)");
}

TEST(RetentionPolicy, ValidateRefusesAPolicyThatKeepsNothing) {
  RetentionPolicy p;
  EXPECT_TRUE(p.empty());
  auto r = validate(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "retention policy keeps nothing: set at least one of keep_last, keep_hourly, "
            "keep_daily, keep_weekly, keep_monthly, keep_yearly or keep_within");
  // A zero span is "off" too.
  p.within = span("0d");
  EXPECT_FALSE(validate(p));
  p.within = span("1h");
  EXPECT_TRUE(validate(p));
}

TEST(RetentionPolicy, ValidateRefusesBadValues) {
  REQUIRE_TZDATA();
  auto p = RetentionPolicy::defaults();
  p.weekly = -2;
  EXPECT_EQ(validate(p).error(), "invalid retention policy: keep_weekly is -2 (use a number of "
                                 "backups, or -1 for unlimited)");
  p = RetentionPolicy::defaults();
  p.within.days = -1;
  EXPECT_EQ(validate(p).error(), "invalid retention policy: keep_within '-1d' has a negative part");
  p = RetentionPolicy::defaults();
  p.time_zone = "Mars/Olympus_Mons";
  auto r = validate(p);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("unknown time zone 'Mars/Olympus_Mons': no such zone in '"))
      << r.error();
  p.time_zone = "../../etc/passwd";
  EXPECT_EQ(validate(p).error(), "invalid time zone name '../../etc/passwd': use an IANA name "
                                 "such as 'Europe/Berlin'");
  p.time_zone = "Europe/Berlin";
  EXPECT_TRUE(validate(p));
  p.time_zone = "UTC";
  EXPECT_TRUE(validate(p));
}

TEST(RetentionPolicy, ApplyWithAnUnknownTimeZoneIsAConfigError) {
  auto p = RetentionPolicy::defaults();
  p.time_zone = "Nowhere/Land";
  try {
    apply_retention(p, items_at({"2024-01-01 00:00:00"}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_TRUE(std::string(e.what()).starts_with("unknown time zone 'Nowhere/Land'")) << e.what();
  }
}

TEST(RetentionSpan, ParsesResticSyntax) {
  auto s = RetentionSpan::parse("1y2m3d4h");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(*s, (RetentionSpan{.years = 1, .months = 2, .days = 3, .hours = 4}));
  EXPECT_EQ(s->str(), "1y2m3d4h");
  EXPECT_EQ(RetentionSpan::parse("1y1d1m")->str(), "1y1m1d"); // restic's canonical order
  EXPECT_EQ(RetentionSpan::parse("2w")->str(), "14d");
  EXPECT_EQ(RetentionSpan::parse("1w2d")->days, 9);
  EXPECT_EQ(RetentionSpan::parse(" 30d ")->days, 30);
  EXPECT_EQ(RetentionSpan::parse("9999y")->years, 9999);
  EXPECT_TRUE(RetentionSpan::parse("0d")->zero());
  EXPECT_EQ(RetentionSpan{}.str(), "");
}

TEST(RetentionSpan, RefusesWhatIsNotASpan) {
  EXPECT_EQ(RetentionSpan::parse("").error(),
            "invalid retention span '': empty (use e.g. 14d, 6m or 1y6m)");
  EXPECT_EQ(RetentionSpan::parse("14").error(),
            "invalid retention span '14': missing unit after 14 (use y, m, w, d or h)");
  EXPECT_EQ(RetentionSpan::parse("3x").error(),
            "invalid retention span '3x': unknown unit 'x' (use y, m, w, d or h)");
  EXPECT_EQ(RetentionSpan::parse("45s").error(),
            "invalid retention span '45s': unknown unit 's' (use y, m, w, d or h)");
  EXPECT_EQ(RetentionSpan::parse("d").error(),
            "invalid retention span 'd': expected a number at 'd'");
  EXPECT_EQ(RetentionSpan::parse("-1d").error(),
            "invalid retention span '-1d': expected a number at '-1d'");
  EXPECT_EQ(RetentionSpan::parse("1d2d").error(),
            "invalid retention span '1d2d': unit 'd' given twice");
  EXPECT_EQ(RetentionSpan::parse("99999999999999999999d").error(),
            "invalid retention span '99999999999999999999d': '99999999999999999999' is too large");
}

// ---- buckets ------------------------------------------------------------------------------

TEST(RetentionBuckets, IsoWeek53) {
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2020-12-28 00:00:00")), "2020-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2020-12-31 12:00:00")), "2020-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2021-01-03 23:59:59")), "2020-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2021-01-04 00:00:00")), "2021-W01");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2019-12-30 00:00:00")), "2020-W01");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2024-12-30 00:00:00")), "2025-W01");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2027-01-01 00:00:00")), "2026-W53");
  EXPECT_EQ(bucket_label(RetentionRule::within_weekly, at("2021-01-03 00:00:00")), "2020-W53");
  EXPECT_EQ(bucket_label(RetentionRule::hourly, at("2024-02-29 07:59:59")), "2024-02-29 07h");
  EXPECT_EQ(bucket_label(RetentionRule::daily, at("2024-02-29 07:59:59")), "2024-02-29");
  EXPECT_EQ(bucket_label(RetentionRule::monthly, at("2024-02-29 07:59:59")), "2024-02");
  EXPECT_EQ(bucket_label(RetentionRule::yearly, at("2024-02-29 07:59:59")), "2024");
  EXPECT_EQ(bucket_label(RetentionRule::last, at("2024-02-29 07:59:59")), "");
}

TEST(RetentionBuckets, WeekFiftyThreeIsOneBucket) {
  auto items = items_at(
      {"2020-12-20 10:00:00", "2020-12-31 10:00:00", "2021-01-03 10:00:00", "2021-01-04 10:00:00"});
  auto p = policy([](RetentionPolicy& r) { r.weekly = 2; });
  auto d = apply_retention(p, items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2021-01-04 10:00:00", "2021-01-03 10:00:00"}));
  EXPECT_EQ(decision_for(d, "2021-01-03 10:00:00").reasons_text(), "weekly #2");
}

TEST(RetentionBuckets, ExactDayBoundary) {
  auto items = items_at({"2024-05-01 23:59:59", "2024-05-02 00:00:00", "2024-04-30 12:00:00"});
  auto d1 = apply_retention(policy([](RetentionPolicy& r) { r.daily = 2; }), items, k_pure);
  EXPECT_EQ(kept(d1), (std::vector<std::string>{"2024-05-02 00:00:00", "2024-05-01 23:59:59"}));
  // 23:59:59 and 00:00:00 are different hours as well.
  auto d2 = apply_retention(policy([](RetentionPolicy& r) { r.hourly = 2; }), items, k_pure);
  EXPECT_EQ(kept(d2), (std::vector<std::string>{"2024-05-02 00:00:00", "2024-05-01 23:59:59"}));
  auto d3 = apply_retention(policy([](RetentionPolicy& r) { r.monthly = 1; }), items, k_pure);
  EXPECT_EQ(kept(d3), (std::vector<std::string>{"2024-05-02 00:00:00"}));
}

TEST(RetentionBuckets, NewestOfEachDayIsKept) {
  auto items = items_at({"2024-06-02 01:00:00", "2024-06-02 23:00:00", "2024-06-01 10:00:00",
                         "2024-06-02 12:00:00", "2024-05-31 22:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.daily = 2; }), items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-06-02 23:00:00", "2024-06-01 10:00:00"}));
  EXPECT_EQ(decision_for(d, "2024-06-02 23:00:00").reasons_text(), "daily #1");
  EXPECT_EQ(decision_for(d, "2024-06-01 10:00:00").reasons_text(), "daily #2");
  EXPECT_FALSE(decision_for(d, "2024-06-02 12:00:00").keep);
  // Newest first, whatever the input order; each decision points back into the input.
  ASSERT_EQ(d.size(), items.size());
  EXPECT_EQ(d.front().id, "2024-06-02 23:00:00");
  EXPECT_EQ(d.front().index, 1U);
  EXPECT_EQ(d.back().id, "2024-05-31 22:00:00");
}

TEST(RetentionBuckets, OldestItemIsKeptWhileCountsAreLeft) {
  // restic: the oldest item of all is kept by a rule that still has count left, even in a
  // bucket the rule has kept already; that keeps the longest history.
  auto items = items_at({"2024-06-02 08:00:00", "2024-06-01 09:00:00", "2024-06-01 08:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.daily = 5; }), items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-06-02 08:00:00", "2024-06-01 09:00:00",
                                               "2024-06-01 08:00:00"}));
  EXPECT_EQ(decision_for(d, "2024-06-01 08:00:00").reasons_text(), "oldest daily #3");
  EXPECT_EQ(decision_for(d, "2024-06-01 08:00:00").reasons[0].restic_str(),
            "oldest daily snapshot");
  // Without count left it is not.
  auto d2 = apply_retention(policy([](RetentionPolicy& r) { r.daily = 2; }), items, k_pure);
  EXPECT_FALSE(decision_for(d2, "2024-06-01 08:00:00").keep);
}

TEST(RetentionBuckets, GapsOfMonthsCountBucketsWithBackups) {
  auto items = items_at(
      {"2023-01-15 03:00:00", "2023-06-15 03:00:00", "2023-12-15 03:00:00", "2024-05-15 03:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.monthly = 3; }), items, k_pure);
  // Three months that have a backup, however far apart; not the last three calendar months.
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-05-15 03:00:00", "2023-12-15 03:00:00",
                                               "2023-06-15 03:00:00"}));
  EXPECT_EQ(decision_for(d, "2023-06-15 03:00:00").reasons_text(), "monthly #3");
  EXPECT_EQ(d.back().counters.monthly, 0);
}

TEST(RetentionBuckets, LeapDayIsItsOwnDay) {
  auto items = items_at({"2024-02-28 03:00:00", "2024-02-29 03:00:00", "2024-03-01 03:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.daily = 3; }), items, k_pure);
  EXPECT_EQ(kept(d).size(), 3U);
  EXPECT_EQ(decision_for(d, "2024-02-29 03:00:00").reasons_text(), "daily #2");
}

TEST(RetentionBuckets, UnlimitedCounts) {
  std::vector<std::string> times;
  for (int day = 1; day <= 10; ++day) {
    times.push_back(fmt::format("2024-07-{:02} 03:00:00", day));
    times.push_back(fmt::format("2024-07-{:02} 15:00:00", day));
  }
  auto items = items_at(times);
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.daily = -1; }), items, k_pure);
  auto k = kept(d);
  // The newest of each day, plus the oldest item (restic's "oldest" rule: -1 never runs out).
  ASSERT_EQ(k.size(), 11U);
  EXPECT_EQ(k.front(), "2024-07-10 15:00:00");
  EXPECT_EQ(k[9], "2024-07-01 15:00:00");
  EXPECT_EQ(decision_for(d, "2024-07-01 03:00:00").reasons_text(), "oldest daily #11");
  EXPECT_EQ(d.front().counters.daily, -1);
  auto all = apply_retention(policy([](RetentionPolicy& r) { r.last = -1; }), items, k_pure);
  EXPECT_EQ(kept(all).size(), items.size());
  EXPECT_EQ(decision_for(all, "2024-07-01 03:00:00").reasons_text(), "last #20");
}

TEST(RetentionBuckets, EqualTimesKeepTheCallersOrder) {
  std::vector<RetentionItem> items{{.id = "a", .time = at("2024-01-01 00:00:00")},
                                   {.id = "b", .time = at("2024-01-01 00:00:00")},
                                   {.id = "c", .time = at("2023-12-31 00:00:00")}};
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.daily = 1; }), items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"a"}));
  EXPECT_EQ(d[1].id, "b");
}

// ---- keep_within --------------------------------------------------------------------------

TEST(RetentionWithin, CalendarMonthsLikeAddDate) {
  // 2024-03-31 minus one month is "2024-02-31", which Go (and so restic) normalises to
  // 2024-03-02; only items strictly after that are within.
  auto items = items_at(
      {"2024-03-31 12:00:00", "2024-03-02 12:00:01", "2024-03-02 12:00:00", "2024-03-01 12:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.within = span("1m"); }), items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-03-31 12:00:00", "2024-03-02 12:00:01"}));
  EXPECT_EQ(decision_for(d, "2024-03-02 12:00:01").reasons_text(), "within 1m");
}

TEST(RetentionWithin, LeapYearAndHours) {
  // One year back from 2025-03-01 is 2024-03-01; the leap day is outside.
  auto items = items_at(
      {"2025-03-01 03:00:00", "2024-03-01 03:00:01", "2024-03-01 03:00:00", "2024-02-29 03:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.within = span("1y"); }), items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2025-03-01 03:00:00", "2024-03-01 03:00:01"}));
  // 1y1d3h: 2024-02-29 03:00 then three hours back.
  auto d2 = apply_retention(policy([](RetentionPolicy& r) { r.within = span("1y1d3h"); }), items);
  EXPECT_EQ(kept(d2).size(), 4U);
  auto d3 = apply_retention(policy([](RetentionPolicy& r) { r.within = span("1y1d"); }), items);
  EXPECT_EQ(kept(d3).size(), 3U);
}

TEST(RetentionWithin, ReferenceIsTheNewestItemBeforeNow) {
  auto items = items_at(
      {"2024-01-10 00:00:00", "2024-01-09 00:00:00", "2024-01-05 00:00:00", "2024-01-20 00:00:00"});
  auto p = policy([](RetentionPolicy& r) { r.within = span("2d"); });
  // Without now: the newest item (01-20) is the reference.
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)),
            (std::vector<std::string>{"2024-01-20 00:00:00"}));
  // With now = 01-15, the item from the future does not count as the reference (restic).
  RetentionOptions at_15{.now = at("2024-01-15 00:00:00"), .keep_newest = false};
  EXPECT_EQ(kept(apply_retention(p, items, at_15)),
            (std::vector<std::string>{"2024-01-20 00:00:00", "2024-01-10 00:00:00",
                                      "2024-01-09 00:00:00"}));
  // Every item in the future: restic's reference is year 1, so every item is within.
  RetentionOptions long_ago{.now = at("2000-01-01 00:00:00"), .keep_newest = false};
  EXPECT_EQ(kept(apply_retention(p, items, long_ago)).size(), 4U);
}

TEST(RetentionWithin, BucketsWithinASpan) {
  auto items = items_at({"2024-01-10 20:00:00", "2024-01-10 08:00:00", "2024-01-09 20:00:00",
                         "2024-01-08 20:00:00", "2024-01-01 20:00:00"});
  auto d = apply_retention(policy([](RetentionPolicy& r) { r.within_daily = span("2d"); }), items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-01-10 20:00:00", "2024-01-09 20:00:00"}));
  EXPECT_EQ(decision_for(d, "2024-01-09 20:00:00").reasons_text(), "daily within 2d #2");
  EXPECT_EQ(decision_for(d, "2024-01-09 20:00:00").reasons[0].restic_str(), "daily within 2d");
}

// ---- lifeboat's rule: never remove the newest ----------------------------------------------

TEST(RetentionNewest, NewestIsKeptEvenWhenNoRuleKeepsIt) {
  std::vector<RetentionItem> items{
      {.id = "old-safety", .time = at("2024-01-01 00:00:00"), .tags = {"safety"}},
      {.id = "new", .time = at("2024-02-01 00:00:00")}};
  auto p = policy([](RetentionPolicy& r) { r.keep_tags = {{"safety"}}; });
  auto d = apply_retention(p, items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"new", "old-safety"}));
  EXPECT_EQ(d.front().reasons_text(), "newest");
  EXPECT_EQ(d.back().reasons_text(), "tags [safety]");
  // Pure restic removes it.
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)), (std::vector<std::string>{"old-safety"}));
  // When a rule keeps the newest, there is no extra reason.
  auto d2 = apply_retention(RetentionPolicy::defaults(), items);
  EXPECT_EQ(d2.front().reasons_text(), "daily #1, weekly #1, monthly #1");
  // Even the empty policy (which validate() refuses) keeps the newest.
  EXPECT_EQ(kept(apply_retention(RetentionPolicy{}, items)), (std::vector<std::string>{"new"}));
  EXPECT_TRUE(apply_retention(RetentionPolicy{}, {}).empty());
}

// ---- time zones ---------------------------------------------------------------------------

std::chrono::sys_seconds utc(const std::string& text) {
  return std::chrono::floor<std::chrono::seconds>(at(text));
}

std::string local_text(const TimeZone& zone, const std::string& utc_text) {
  auto l = zone.to_local(utc(utc_text));
  return format_human(TimePoint{l.time_since_epoch()});
}

TimeZone berlin() {
  auto z = TimeZone::locate("Europe/Berlin");
  if (!z) {
    throw std::runtime_error(z.error());
  }
  return *z;
}

TEST(RetentionTimeZone, UtcNeedsNoFile) {
  REQUIRE_TZDATA();
  TimeZone z;
  EXPECT_EQ(z.name(), "UTC");
  EXPECT_EQ(z.offset(utc("2024-06-01 00:00:00")).count(), 0);
  EXPECT_EQ(TimeZone::locate("")->name(), "UTC");
  EXPECT_EQ(TimeZone::locate("UTC")->name(), "UTC");
  auto etc = TimeZone::locate("Etc/UTC");
  ASSERT_TRUE(etc) << etc.error();
  EXPECT_EQ(etc->offset(utc("2090-06-01 00:00:00")).count(), 0);
}

TEST(RetentionTimeZone, BerlinOffsetsAndGaps) {
  REQUIRE_TZDATA();
  TimeZone z = berlin();
  EXPECT_EQ(local_text(z, "2024-03-31 00:59:59"), "2024-03-31 01:59:59"); // CET
  EXPECT_EQ(local_text(z, "2024-03-31 01:00:00"), "2024-03-31 03:00:00"); // CEST
  EXPECT_EQ(local_text(z, "2024-10-27 00:59:59"), "2024-10-27 02:59:59"); // CEST
  EXPECT_EQ(local_text(z, "2024-10-27 01:00:00"), "2024-10-27 02:00:00"); // CET again
  EXPECT_EQ(local_text(z, "2099-07-01 12:00:00"), "2099-07-01 14:00:00"); // footer rule
  using std::chrono::local_seconds;
  auto local = [](const std::string& t) { return local_seconds{utc(t).time_since_epoch()}; };
  // A wall time in the spring gap resolves forward like Go: 02:30 -> 03:30 CEST.
  EXPECT_EQ(z.to_sys(local("2024-03-31 02:30:00")), utc("2024-03-31 01:30:00"));
  // The autumn hour that happens twice resolves to its second (CET) occurrence.
  EXPECT_EQ(z.to_sys(local("2024-10-27 02:30:00")), utc("2024-10-27 01:30:00"));
  EXPECT_EQ(z.to_sys(local("2024-07-01 12:00:00")), utc("2024-07-01 10:00:00"));
}

TEST(RetentionTimeZone, BerlinDailyBucketsAcrossDaylightSaving) {
  REQUIRE_TZDATA();
  TimeZone z = berlin();
  // 23:30 UTC is already the next day in Berlin, in winter (+1) and in summer (+2).
  EXPECT_EQ(bucket_label(RetentionRule::daily, at("2024-03-30 23:30:00"), z), "2024-03-31");
  EXPECT_EQ(bucket_label(RetentionRule::daily, at("2024-10-26 23:30:00"), z), "2024-10-27");
  // The 25-hour day 2024-10-27 runs from 10-26 22:00 UTC to 10-27 23:00 UTC.
  auto items = items_at({"2024-10-26 21:59:59", "2024-10-26 22:00:00", "2024-10-27 12:00:00",
                         "2024-10-27 22:59:59", "2024-10-27 23:00:00"});
  auto p = policy([](RetentionPolicy& r) {
    r.daily = 10;
    r.time_zone = "Europe/Berlin";
  });
  auto d = apply_retention(p, items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-10-27 23:00:00", "2024-10-27 22:59:59",
                                               "2024-10-26 21:59:59"}));
  EXPECT_EQ(decision_for(d, "2024-10-27 22:59:59").reasons_text(), "daily #2");
  // The same items in UTC buckets.
  auto d_utc = apply_retention(policy([](RetentionPolicy& r) { r.daily = 10; }), items, k_pure);
  EXPECT_EQ(kept(d_utc), (std::vector<std::string>{"2024-10-27 23:00:00", "2024-10-26 22:00:00",
                                                   "2024-10-26 21:59:59"}));
  // The 23-hour day 2024-03-31 runs from 03-30 23:00 UTC to 03-31 22:00 UTC.
  auto spring = items_at(
      {"2024-03-30 22:59:59", "2024-03-30 23:00:00", "2024-03-31 21:59:59", "2024-03-31 22:00:00"});
  EXPECT_EQ(kept(apply_retention(p, spring, k_pure)),
            (std::vector<std::string>{"2024-03-31 22:00:00", "2024-03-31 21:59:59",
                                      "2024-03-30 22:59:59"}));
}

TEST(RetentionTimeZone, RepeatedHourIsOneHourlyBucket) {
  REQUIRE_TZDATA();
  TimeZone z = berlin();
  // 02:30 CEST and 02:30 CET share the wall-clock hour, hence one bucket (as in restic).
  EXPECT_EQ(bucket_label(RetentionRule::hourly, at("2024-10-27 00:30:00"), z), "2024-10-27 02h");
  EXPECT_EQ(bucket_label(RetentionRule::hourly, at("2024-10-27 01:30:00"), z), "2024-10-27 02h");
  auto items = items_at({"2024-10-27 01:30:00", "2024-10-27 00:30:00", "2024-10-26 23:30:00"});
  auto p = policy([](RetentionPolicy& r) {
    r.hourly = 2;
    r.time_zone = "Europe/Berlin";
  });
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)),
            (std::vector<std::string>{"2024-10-27 01:30:00", "2024-10-26 23:30:00"}));
}

TEST(RetentionTimeZone, WithinCountsCalendarDaysInTheZone) {
  REQUIRE_TZDATA();
  // The newest is 2024-03-31 12:00 CEST; one calendar day back is 03-30 12:00 CET = 11:00 UTC,
  // only 23 hours earlier because the clocks went forward in between.
  auto items = items_at(
      {"2024-03-31 10:00:00", "2024-03-30 11:00:01", "2024-03-30 11:00:00", "2024-03-30 10:30:00"});
  auto p = policy([](RetentionPolicy& r) {
    r.within = span("1d");
    r.time_zone = "Europe/Berlin";
  });
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)),
            (std::vector<std::string>{"2024-03-31 10:00:00", "2024-03-30 11:00:01"}));
  p.within = span("24h");
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)).size(), 4U);
  // In UTC one day is 24 hours here.
  p.within = span("1d");
  p.time_zone = "";
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)).size(), 4U);
}

// Sets an environment variable for one scope (tests run on one thread).
class EnvVar {
public:
  EnvVar(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    setenv(name, value.c_str(), 1);
  }
  ~EnvVar() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// A TZif file with one local time type (utoff), no transitions, an optional leap second
// record, and a footer.
std::string tzif(std::int32_t utoff, bool leap, const std::string& footer) {
  auto be = [](std::uint64_t v, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) {
      out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
    }
    return out;
  };
  auto header = [&] {
    std::string h = "TZif2" + std::string(15, '\0');
    for (std::uint64_t count : {0, 0, leap ? 1 : 0, 0, 1, 4}) {
      h += be(count, 4);
    }
    return h;
  };
  std::string type = be(static_cast<std::uint32_t>(utoff), 4) + std::string(2, '\0');
  std::string chars("ABC\0", 4);
  std::string v1 = header() + type + chars + (leap ? std::string(8, '\0') : "");
  std::string v2 = header() + type + chars + (leap ? std::string(12, '\0') : "");
  return v1 + v2 + "\n" + footer + "\n";
}

TEST(RetentionTimeZone, ReadsTzdirAndRefusesBadFiles) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "Test");
  test::write_file(dir / "Test/Plus0530", tzif(19800, false, "<+0530>-5:30"));
  test::write_file(dir / "Test/Leap", tzif(0, true, "UTC0"));
  test::write_file(dir / "Test/Garbage", "hello, world");
  test::write_file(dir / "Test/Short", tzif(0, false, "UTC0").substr(0, 60));
  test::write_file(dir / "Test/BadRule", tzif(0, false, "CET-1CEST,M13.5.0,M10.5.0/3"));
  EnvVar tzdir("TZDIR", dir.path().string());
  auto plus = TimeZone::locate("Test/Plus0530");
  ASSERT_TRUE(plus) << plus.error();
  EXPECT_EQ(plus->offset(utc("2024-01-01 00:00:00")).count(), 19800);
  EXPECT_EQ(bucket_label(RetentionRule::daily, at("2024-01-01 18:30:00"), *plus), "2024-01-02");
  std::string base = (dir / "Test/").string();
  EXPECT_EQ(TimeZone::locate("Test/Leap").error(),
            "unusable time zone file '" + base +
                "Leap': leap-second ('right/') zones are not supported");
  EXPECT_EQ(TimeZone::locate("Test/Garbage").error(),
            "unusable time zone file '" + base + "Garbage': not a TZif file");
  EXPECT_EQ(TimeZone::locate("Test/Short").error(),
            "unusable time zone file '" + base + "Short': truncated");
  EXPECT_EQ(TimeZone::locate("Test/BadRule").error(),
            "unusable time zone file '" + base +
                "BadRule': unsupported TZ rule 'CET-1CEST,M13.5.0,M10.5.0/3'");
  EXPECT_EQ(TimeZone::locate("Test").error(),
            "unknown time zone 'Test': no such zone in '" + dir.path().string() + "'");
  EXPECT_EQ(TimeZone::locate("Europe/Berlin").error(),
            "unknown time zone 'Europe/Berlin': no such zone in '" + dir.path().string() + "'");
}

// glibc reads the same TZif files and footers; our offsets must agree with its localtime_r
// everywhere, including the far future where only the footer's POSIX rule applies.
class TzEnv {
public:
  explicit TzEnv(const std::string& zone) {
    const char* old = std::getenv("TZ");
    if (old != nullptr) {
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

TEST(RetentionTimeZone, AgreesWithGlibcLocaltime) {
  REQUIRE_TZDATA();
  const std::vector<std::string> zones{
      "Europe/Berlin",     "America/New_York",   "Australia/Sydney", "Australia/Lord_Howe",
      "Pacific/Chatham",   "Europe/Dublin",      "Antarctica/Troll", "America/Nuuk",
      "America/Sao_Paulo", "Asia/Kolkata",       "Asia/Tehran",      "Africa/Casablanca",
      "America/St_Johns",  "Pacific/Kiritimati", "Europe/London"};
  for (const auto& name : zones) {
    auto zone = TimeZone::locate(name);
    ASSERT_TRUE(zone) << zone.error();
    TzEnv env(name);
    int mismatches = 0;
    auto check = [&](std::int64_t t) {
      std::time_t tt = static_cast<std::time_t>(t);
      std::tm tm{};
      ASSERT_NE(localtime_r(&tt, &tm), nullptr);
      auto ours = zone->offset(std::chrono::sys_seconds{std::chrono::seconds{t}}).count();
      if (ours != tm.tm_gmtoff && ++mismatches <= 3) {
        ADD_FAILURE() << name << " at " << format_iso8601(TimePoint{std::chrono::seconds{t}})
                      << ": ours " << ours << ", glibc " << tm.tm_gmtoff;
      }
    };
    // 1900 .. 2100 every 3 days and 1 hour 7 seconds.
    for (std::int64_t t = -2208988800; t < 4102444800; t += 3 * 86400 + 3607) {
      check(t);
    }
    // Every half hour (and the second before) of years with transitions from the table and
    // of years only the footer rule covers.
    for (std::int64_t year_start :
         {1704067200LL /* 2024 */, 2145916800LL /* 2038 */, 3786825600LL /* 2090 */}) {
      for (std::int64_t t = year_start; t < year_start + 366 * 86400; t += 1800) {
        check(t);
        check(t - 1);
      }
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
}

} // namespace
