// tests/unit/retention: the retention engine against restic's golden policy files (all but
// the 9 that use restic features lifeboat left out), our own golden tables of reasons, the
// calendar edges (bucket boundaries, ISO week 53, leap days, month ends, daylight saving
// time in Europe/Berlin, calendar spans) and lifeboat's own rules (newest, pinned, current).
// TimeZone itself is tested in tests/unit/util/tz_test.cpp.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
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
  return std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin");
}

#define REQUIRE_TZDATA()                                                                           \
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

// restic features lifeboat left out (core/retention.hpp): --keep-tag and
// --keep-within-{hourly,daily,weekly,monthly,yearly}.
const std::set<std::string> k_removed_keys{"tags",          "within_hourly",  "within_daily",
                                           "within_weekly", "within_monthly", "within_yearly"};

// The restic policy files that use a removed feature; only these are not compared. Policies
// 18-20 are tag lists, 30-35 within-bucket rules (35 with a plain "within" too).
// RetentionResticFiles.SkipsOnlyThePoliciesOfRemovedFeatures proves that this is exactly
// the set input.json makes necessary, so the list cannot grow silently.
const std::vector<int> k_skipped_policies{18, 19, 20, 30, 31, 32, 33, 34, 35};
constexpr int k_restic_policies = 40;

std::vector<int> compared_policies() {
  std::vector<int> out;
  for (int i = 0; i < k_restic_policies; ++i) {
    if (std::find(k_skipped_policies.begin(), k_skipped_policies.end(), i) ==
        k_skipped_policies.end()) {
      out.push_back(i);
    }
  }
  return out;
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
    } else {
      ADD_FAILURE() << "policy key the test does not know: " << key;
    }
  }
  return p;
}

// restic's wording of a reason ("daily snapshot", "oldest monthly snapshot", "within 30d");
// only the golden files need it.
std::string restic_text(const RetentionReason& r) {
  switch (r.rule) {
  case RetentionRule::within:
    return "within " + r.detail;
  case RetentionRule::last:
  case RetentionRule::hourly:
  case RetentionRule::daily:
  case RetentionRule::weekly:
  case RetentionRule::monthly:
  case RetentionRule::yearly:
    return fmt::format("{}{} snapshot", r.oldest ? "oldest " : "", to_string(r.rule));
  default:
    ADD_FAILURE() << "not a restic rule: " << to_string(r.rule);
    return std::string(to_string(r.rule));
  }
}

std::string counters_text(const RetentionCounters& c) {
  return fmt::format("last={} hourly={} daily={} weekly={} monthly={} yearly={}", c.last, c.hourly,
                     c.daily, c.weekly, c.monthly, c.yearly);
}

nlohmann::json restic_input(const std::filesystem::path& dir) {
  nlohmann::json input = nlohmann::json::parse(test::read_file(dir / "input.json"));
  EXPECT_EQ(input["policies"].size(), static_cast<std::size_t>(k_restic_policies));
  return input;
}

TEST(RetentionResticFiles, SkipsOnlyThePoliciesOfRemovedFeatures) {
  std::filesystem::path dir = test::shared_testdata("restic-policy");
  if (dir.empty()) {
    LIFEBOAT_SKIP("shared/testdata/restic-policy is absent");
  }
  nlohmann::json input = restic_input(dir);
  std::vector<int> need_skip;
  for (int i = 0; i < k_restic_policies; ++i) {
    for (const auto& [key, value] : input["policies"][static_cast<std::size_t>(i)].items()) {
      if (k_removed_keys.count(key) != 0) {
        need_skip.push_back(i);
        break;
      }
    }
  }
  EXPECT_EQ(need_skip, k_skipped_policies);
  EXPECT_EQ(k_skipped_policies.size(), 9U);
  EXPECT_EQ(compared_policies().size(), 31U);
}

class ResticGolden : public ::testing::TestWithParam<int> {};

TEST_P(ResticGolden, KeepsTheSameSnapshotsForTheSameReasons) {
  std::filesystem::path dir = test::shared_testdata("restic-policy");
  if (dir.empty()) {
    LIFEBOAT_SKIP("shared/testdata/restic-policy is absent");
  }
  const int n = GetParam();
  nlohmann::json input = restic_input(dir);

  std::vector<Snapshot> snapshots;
  std::vector<RetentionItem> items;
  for (const auto& s : input["snapshots"]) {
    Snapshot snap{at(s["time"].get<std::string>()), strings_of(s, "tags"), strings_of(s, "paths")};
    items.push_back({.id = std::to_string(items.size()), .time = snap.time});
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
      matches += (matches.empty() ? "" : "; ") + restic_text(r);
    }
    got += fmt::format("{} | reason for {} | {} | {}\n", snapshot_text(s), snapshot_text(s),
                       matches, counters_text(d.counters));
  }
  EXPECT_EQ(got, want) << "policy " << n << ": " << p.describe();
}

// Named after the policy file: RetentionRestic/ResticGolden.KeepsThe...Reasons/policy_17.
INSTANTIATE_TEST_SUITE_P(RetentionRestic, ResticGolden, ::testing::ValuesIn(compared_policies()),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return "policy_" + std::to_string(param_info.param);
                         });

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
  EXPECT_EQ(p.within, (RetentionSpan{.days = 2}));
  EXPECT_EQ(p.time_zone, "");
  EXPECT_FALSE(p.empty());
  EXPECT_TRUE(validate(p));
  EXPECT_EQ(
      p.describe(),
      "keep 30 daily, 12 weekly, 12 monthly backups and every backup within 2d of the newest");
}

TEST(RetentionPolicy, DefaultsKeepEveryBackupOfTheLastTwoDays) {
  // DESIGN.md: a manual backup before a migration survives the next one. Four backups of
  // one day: the daily rule alone keeps only the newest and (restic's oldest rule) the oldest.
  const TimePoint now = at("2024-05-10 12:00:00");
  std::vector<RetentionItem> items{{.id = "9h", .time = now - std::chrono::hours(9)},
                                   {.id = "40min", .time = now - std::chrono::minutes(40)},
                                   {.id = "20min", .time = now - std::chrono::minutes(20)},
                                   {.id = "now", .time = now}};
  auto d = apply_retention(RetentionPolicy::defaults(), items, {.now = now});
  EXPECT_EQ(kept(d), (std::vector<std::string>{"now", "20min", "40min", "9h"}));
  EXPECT_EQ(decision_for(d, "40min").reasons_text(), "within 2d");
  EXPECT_EQ(decision_for(d, "now").reasons_text(), "within 2d, daily #1, weekly #1, monthly #1");
  auto without = RetentionPolicy::defaults();
  without.within = {};
  EXPECT_EQ(kept(apply_retention(without, items, {.now = now})),
            (std::vector<std::string>{"now", "9h"}));
  // Three days later, just after the next backup, only the count rules keep that day:
  // its newest ("daily #2") and, while counts are left, the oldest item of all.
  const TimePoint later = now + std::chrono::hours(72);
  items.push_back({.id = "later", .time = later});
  auto d2 =
      apply_retention(RetentionPolicy::defaults(), items, {.now = later + std::chrono::seconds(5)});
  EXPECT_EQ(kept(d2), (std::vector<std::string>{"later", "now", "9h"}));
  EXPECT_EQ(decision_for(d2, "9h").reasons_text(),
            "oldest daily #3, oldest weekly #3, oldest monthly #2");
}

TEST(RetentionPolicy, Describes) {
  EXPECT_EQ(RetentionPolicy{}.describe(), "keep nothing");
  auto p = policy([](RetentionPolicy& r) {
    r.last = 3;
    r.hourly = -1;
    r.within = span("1y6m");
    r.time_zone = "Europe/Berlin";
  });
  EXPECT_EQ(p.describe(), "keep 3 last, all hourly backups and every backup within 1y6m of the "
                          "newest (calendar of Europe/Berlin)");
  EXPECT_EQ(policy([](RetentionPolicy& r) { r.within = span("36h"); }).describe(),
            "keep every backup within 36h of the newest");
  EXPECT_EQ(policy([](RetentionPolicy& r) { r.yearly = 2; }).describe(), "keep 2 yearly backups");
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
  EXPECT_EQ(r.error(),
            "unknown time zone 'Mars/Olympus_Mons': no such zone in '/usr/share/zoneinfo'");
  p.time_zone = "../../etc/passwd";
  EXPECT_EQ(validate(p).error(),
            "unknown time zone '../../etc/passwd': no such zone in '/usr/share/zoneinfo'");
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
  EXPECT_EQ(bucket_label(RetentionRule::hourly, at("2024-02-29 07:59:59")), "2024-02-29 07h");
  EXPECT_EQ(bucket_label(RetentionRule::daily, at("2024-02-29 07:59:59")), "2024-02-29");
  EXPECT_EQ(bucket_label(RetentionRule::monthly, at("2024-02-29 07:59:59")), "2024-02");
  EXPECT_EQ(bucket_label(RetentionRule::yearly, at("2024-02-29 07:59:59")), "2024");
  EXPECT_EQ(bucket_label(RetentionRule::last, at("2024-02-29 07:59:59")), "");
  EXPECT_EQ(bucket_label(RetentionRule::current, at("2024-02-29 07:59:59")), "");
  // December 28 always lies in the last ISO week of its year: W53 exactly in the years
  // whose January 1 is a Thursday, or a Wednesday in a leap year.
  for (int y = 2014; y <= 2045; ++y) {
    bool long_year = y == 2015 || y == 2020 || y == 2026 || y == 2032 || y == 2037 || y == 2043;
    EXPECT_EQ(bucket_label(RetentionRule::weekly, at(fmt::format("{}-12-28 12:00:00", y))),
              fmt::format("{}-W{}", y, long_year ? 53 : 52));
  }
  // The ISO year differs from the calendar year at both ends.
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2026-12-31 23:59:59")), "2026-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2027-01-03 23:59:59")), "2026-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2027-01-04 00:00:00")), "2027-W01");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2025-12-29 00:00:00")), "2026-W01");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2025-12-28 23:59:59")), "2025-W52");
}

TEST(RetentionBuckets, IsoWeekInTheZone) {
  REQUIRE_TZDATA();
  auto sydney = TimeZone::locate("Australia/Sydney");
  ASSERT_TRUE(sydney) << sydney.error();
  // Sunday 2021-01-03 20:00 UTC is Monday 07:00 in Sydney: already 2021-W01 there.
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2021-01-03 20:00:00")), "2020-W53");
  EXPECT_EQ(bucket_label(RetentionRule::weekly, at("2021-01-03 20:00:00"), *sydney), "2021-W01");
  EXPECT_EQ(bucket_label(RetentionRule::yearly, at("2020-12-31 20:00:00"), *sydney), "2021");
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
  EXPECT_EQ(restic_text(decision_for(d, "2024-06-01 08:00:00").reasons[0]),
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

TEST(RetentionWithin, MonthEndsNormaliseLikeAddDate) {
  // The threshold of 1m (and of 1y) keeps the day of month and carries its overflow over.
  struct Case {
    std::string newest;
    std::string span;
    std::string threshold; // items strictly after it are within
  };
  const std::vector<Case> cases{
      {"2024-05-31 12:00:00", "1m", "2024-05-01 12:00:00"},   // "04-31"
      {"2023-03-31 12:00:00", "1m", "2023-03-03 12:00:00"},   // "02-31", no leap day
      {"2024-03-31 12:00:00", "1m", "2024-03-02 12:00:00"},   // "02-31", leap year
      {"2024-02-29 12:00:00", "1y", "2023-03-01 12:00:00"},   // "2023-02-29"
      {"2024-03-31 12:00:00", "1y1m", "2023-03-03 12:00:00"}, // "2023-02-31"
      {"2024-01-31 12:00:00", "1m", "2023-12-31 12:00:00"},   // across the year
      {"2024-03-01 12:00:00", "1d", "2024-02-29 12:00:00"},
      {"2024-03-31 12:00:00", "1m1d", "2024-03-01 12:00:00"}, // months first, then days
      {"2024-07-31 12:00:00", "5m", "2024-03-02 12:00:00"},   // "02-31" again
      {"2024-12-31 12:00:00", "10m", "2024-03-02 12:00:00"},
      {"2024-03-01 00:30:00", "1h", "2024-02-29 23:30:00"},
  };
  for (const auto& c : cases) {
    TimePoint threshold = at(c.threshold);
    std::vector<RetentionItem> items{{.id = "newest", .time = at(c.newest)},
                                     {.id = "after", .time = threshold + std::chrono::seconds(1)},
                                     {.id = "at", .time = threshold}};
    auto d = apply_retention(policy([&](RetentionPolicy& r) { r.within = span(c.span); }), items,
                             k_pure);
    EXPECT_EQ(kept(d), (std::vector<std::string>{"newest", "after"}))
        << c.newest << " - " << c.span;
  }
}

TEST(RetentionWithin, SpansOlderThanAnyTimeKeepEverything) {
  auto items = items_at({"2262-01-01 00:00:00", "2024-01-01 00:00:00", "1678-01-01 00:00:00"});
  for (const char* text : {"9999y", "1000000y", "1000000y1000000m1000000d1000000h", "1000000d"}) {
    auto d =
        apply_retention(policy([&](RetentionPolicy& r) { r.within = span(text); }), items, k_pure);
    EXPECT_EQ(kept(d).size(), 3U) << text;
  }
  auto d =
      apply_retention(policy([](RetentionPolicy& r) { r.within = span("100y"); }), items, k_pure);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2262-01-01 00:00:00"}));
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

// ---- lifeboat's rules: never remove the newest, a pinned or the just stored backup --------

TEST(RetentionNewest, NewestIsKeptEvenWhenNoRuleKeepsIt) {
  auto items = items_at({"2024-01-01 00:00:00", "2024-02-01 00:00:00"});
  // Every restic rule keeps the newest when it keeps anything; only the empty policy (which
  // validate() refuses) keeps nothing, and lifeboat still keeps the newest.
  auto d = apply_retention(RetentionPolicy{}, items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-02-01 00:00:00"}));
  EXPECT_EQ(d.front().reasons_text(), "newest");
  EXPECT_TRUE(d.back().reasons.empty());
  // Pure restic removes it.
  EXPECT_TRUE(kept(apply_retention(RetentionPolicy{}, items, k_pure)).empty());
  // When a rule keeps the newest, there is no extra reason.
  auto d2 = apply_retention(RetentionPolicy::defaults(), items);
  EXPECT_EQ(d2.front().reasons_text(), "within 2d, daily #1, weekly #1, monthly #1");
  EXPECT_TRUE(apply_retention(RetentionPolicy{}, {}).empty());
}

TEST(RetentionFlags, PinnedIsAlwaysKept) {
  auto items = items_at({"2024-01-03 00:00:00", "2024-01-02 00:00:00", "2024-01-01 00:00:00"});
  items[1].pinned = true;
  auto last_one = policy([](RetentionPolicy& r) { r.last = 1; });
  auto d = apply_retention(last_one, items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-01-03 00:00:00", "2024-01-02 00:00:00"}));
  EXPECT_EQ(decision_for(d, "2024-01-02 00:00:00").reasons_text(), "pinned");
  EXPECT_EQ(decision_for(d, "2024-01-02 00:00:00").reasons.front().rule, RetentionRule::pinned);
  // Also in pure restic mode and with a policy that keeps nothing.
  EXPECT_EQ(kept(apply_retention(last_one, items, k_pure)),
            (std::vector<std::string>{"2024-01-03 00:00:00", "2024-01-02 00:00:00"}));
  EXPECT_EQ(kept(apply_retention(RetentionPolicy{}, items, k_pure)),
            (std::vector<std::string>{"2024-01-02 00:00:00"}));
  // A pinned item a rule keeps anyway lists that rule first.
  items[0].pinned = true;
  EXPECT_EQ(apply_retention(last_one, items).front().reasons_text(), "last #1, pinned");
}

TEST(RetentionFlags, CurrentIsKeptEvenWhenItIsNotTheNewest) {
  // The backup just stored carries a time before another backup (a clock step, or a
  // concurrent run that committed a newer one).
  auto items = items_at({"2024-01-03 00:00:00", "2024-01-02 00:00:00", "2024-01-01 00:00:00"});
  items[2].current = true;
  auto last_one = policy([](RetentionPolicy& r) { r.last = 1; });
  auto d = apply_retention(last_one, items);
  EXPECT_EQ(kept(d), (std::vector<std::string>{"2024-01-03 00:00:00", "2024-01-01 00:00:00"}));
  EXPECT_EQ(decision_for(d, "2024-01-01 00:00:00").reasons_text(), "just stored");
  EXPECT_EQ(decision_for(d, "2024-01-01 00:00:00").reasons.front().rule, RetentionRule::current);
  EXPECT_EQ(kept(apply_retention(RetentionPolicy{}, items, k_pure)),
            (std::vector<std::string>{"2024-01-01 00:00:00"}));
  // Newest and just stored at once, with nothing else keeping it: both reasons.
  auto newest_current = items_at({"2024-01-03 00:00:00", "2024-01-02 00:00:00"});
  newest_current[0].current = true;
  newest_current[0].pinned = true;
  EXPECT_EQ(apply_retention(RetentionPolicy{}, newest_current).front().reasons_text(),
            "newest, pinned, just stored");
  EXPECT_EQ(to_string(RetentionRule::pinned), "pinned");
  EXPECT_EQ(to_string(RetentionRule::current), "current");
}

TEST(RetentionFlags, FlagsDoNotChangeTheRestOfTheWalk) {
  // Every item is flagged in turn; all other decisions (keep, reasons, counters) must be
  // exactly those without flags, and the flagged item keeps its own restic reasons.
  std::vector<std::string> times;
  for (int day = 1; day <= 40; ++day) {
    times.push_back(
        fmt::format("2024-{:02}-{:02} {:02}:00:00", 1 + day % 3, 1 + day % 28, day % 24));
  }
  auto items = items_at(times);
  for (const auto& p : {RetentionPolicy::defaults(), policy([](RetentionPolicy& r) { r.last = 1; }),
                        policy([](RetentionPolicy& r) {
                          r.daily = 3;
                          r.weekly = 2;
                          r.monthly = -1;
                          r.within = span("5d");
                        })}) {
    auto plain = apply_retention(p, items, k_pure);
    for (std::size_t flagged = 0; flagged < items.size(); ++flagged) {
      for (bool pin : {false, true}) {
        auto with = items;
        (pin ? with[flagged].pinned : with[flagged].current) = true;
        auto d = apply_retention(p, with, k_pure);
        ASSERT_EQ(d.size(), plain.size());
        for (std::size_t i = 0; i < d.size(); ++i) {
          EXPECT_EQ(d[i].index, plain[i].index);
          EXPECT_EQ(d[i].counters, plain[i].counters);
          if (d[i].index != flagged) {
            EXPECT_EQ(d[i].keep, plain[i].keep);
            EXPECT_EQ(d[i].reasons, plain[i].reasons);
            continue;
          }
          EXPECT_TRUE(d[i].keep);
          auto restic_part = plain[i].reasons;
          restic_part.push_back({.rule = pin ? RetentionRule::pinned : RetentionRule::current});
          EXPECT_EQ(d[i].reasons, restic_part);
        }
      }
    }
  }
}

// ---- time zones ---------------------------------------------------------------------------

TimeZone berlin() {
  auto z = TimeZone::locate("Europe/Berlin");
  if (!z) {
    throw std::runtime_error(z.error());
  }
  return *z;
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

TEST(RetentionTimeZone, WithinThresholdInADaylightSavingGap) {
  REQUIRE_TZDATA();
  // 2024-04-01 02:30 CEST minus one day is 2024-03-31 02:30, a wall time Berlin skipped;
  // like Go it becomes 03:30 CEST = 01:30 UTC.
  auto items = items_at({"2024-04-01 00:30:00", "2024-03-31 01:30:01", "2024-03-31 01:30:00"});
  auto p = policy([](RetentionPolicy& r) {
    r.within = span("1d");
    r.time_zone = "Europe/Berlin";
  });
  EXPECT_EQ(kept(apply_retention(p, items, k_pure)),
            (std::vector<std::string>{"2024-04-01 00:30:00", "2024-03-31 01:30:01"}));
  // New York 2024-03-11 02:30 EDT minus one day: the skipped 03-10 02:30 becomes 01:30 EST
  // (06:30 UTC), exactly 24 hours back.
  auto ny = items_at({"2024-03-11 06:30:00", "2024-03-10 06:30:01", "2024-03-10 06:30:00"});
  p.time_zone = "America/New_York";
  EXPECT_EQ(kept(apply_retention(p, ny, k_pure)),
            (std::vector<std::string>{"2024-03-11 06:30:00", "2024-03-10 06:30:01"}));
}

} // namespace
