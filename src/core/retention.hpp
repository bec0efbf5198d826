// core/retention: which backups a retention policy keeps, with restic's `forget` semantics.
//
// A pure function over the backups of ONE database: it takes their ids, times and flags
// and a policy, and returns keep or remove for each with the rules that keep it. It never
// lists, reads or removes anything in a storage and never reads the clock: the caller passes
// `now` when it matters. The only outside input is the tz database when a time zone is named
// (util/tz).
//
// Semantics (restic internal/data/snapshot_policy.go ApplyPolicy, DESIGN.md "Retention"):
//   * items are sorted newest first with a stable sort: equal times keep the caller's order;
//   * within S: an item strictly newer than (reference - S) is kept ("within 30d"). The
//     reference is the newest item (with RetentionOptions::now: the newest item before now).
//     S's years, months and days are subtracted on the calendar in the policy's time zone,
//     with day overflow normalised like Go's AddDate (2024-03-31 - 1m = "2024-02-31" =
//     2024-03-02), then S's hours as elapsed time;
//   * last/hourly/daily/weekly/monthly/yearly N: walking newest first, an item is kept when
//     its bucket differs from the bucket of the item this rule kept before and the rule has
//     count left ("daily #3": the third bucket of the rule, #1 the newest). -1 = unlimited.
//     When the oldest item of all falls into the bucket kept before and the rule still has
//     count left, it is kept too ("oldest daily #4"): that keeps the longest history;
//   * an item kept by any rule is kept.
// Buckets are the item's local wall-clock hour (YYYY-MM-DD HH), day, ISO 8601 week
// (2020-W53), month or year in the policy's time zone (UTC when none is named). An hour that
// a DST fall-back repeats is one bucket, as in restic.
//
// Lifeboat's rules on top of restic, applied after the restic walk and never changing it
// (every other item gets exactly restic's decision, and a flagged item keeps its restic
// reasons):
//   * newest (RetentionOptions::keep_newest, on by default): the newest item is always kept;
//     when no restic rule keeps it, its reason is "newest";
//   * pinned (RetentionItem::pinned): always kept, reason "pinned";
//   * current (RetentionItem::current, the backup the running command just stored): always
//     kept, reason "just stored", even when it is not the newest by time.
// The pure restic result, which the restic golden tests compare against, is keep_newest =
// false with no flagged item. The engine does not refuse a policy that keeps nothing:
// validate() does, and callers run it first.
//
// restic's --keep-tag and --keep-within-{hourly,...,yearly} are left out on purpose: lifeboat
// has no tags, and DESIGN.md's policy keys are keep_last ... keep_yearly and keep_within.
//
// Retention span grammar (restic's --keep-within syntax, plus "w"):
//   span   = 1*( number unit )        each unit at most once, e.g. "1y2m3d4h", "14d", "2w"
//   number = 1*DIGIT
//   unit   = "y" years | "m" MONTHS | "w" weeks (7 days) | "d" days | "h" hours
// Note "m" means months here, unlike the durations of util/time ("45m" = 45 minutes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/time.hpp"
#include "util/tz.hpp"

namespace lifeboat::core {

// A calendar span: restic's Duration. Zero when every part is zero.
struct RetentionSpan {
  int years = 0;
  int months = 0;
  int days = 0;
  int hours = 0;

  bool zero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
  // restic's canonical form: "1y2m3d4h", zero parts left out ("2w" prints "14d"); "" when zero.
  std::string str() const;
  // The grammar above. Errors name the text: "invalid retention span '1x': unknown unit 'x'
  // (use y, m, w, d or h)".
  static Result<RetentionSpan> parse(std::string_view text);

  bool operator==(const RetentionSpan&) const = default;
};

struct RetentionPolicy {
  // How many buckets each rule keeps; 0 = rule off, -1 = unlimited.
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;
  RetentionSpan within; // keep every item within this span of the newest
  // IANA name of the zone the buckets and calendar spans use; "" (or "UTC") = UTC.
  std::string time_zone;

  // DESIGN.md: daily 30, weekly 12, monthly 12 and within 2d (every backup of the last two
  // days, so a manual backup before a migration survives the next one), UTC.
  static RetentionPolicy defaults();
  // No rule set at all (restic's Empty): such a policy keeps nothing.
  bool empty() const;
  // "keep 30 daily, 12 weekly, 12 monthly backups and every backup within 2d of the
  // newest"; "keep nothing" when empty().
  std::string describe() const;

  bool operator==(const RetentionPolicy&) const = default;
};

// Refuses what apply_retention would do wrong or what would destroy every backup: a count
// below -1, a negative span part, an unknown time zone, and a policy that keeps nothing
// ("retention policy keeps nothing: set at least one of keep_last, ... or keep_within").
Result<void> validate(const RetentionPolicy& policy);

// Why an item is kept. The order of reasons in a decision is this order: restic's (within,
// then the count rules last ... yearly), then lifeboat's.
enum class RetentionRule {
  within,
  last,
  hourly,
  daily,
  weekly,
  monthly,
  yearly,
  newest,  // lifeboat: the newest item is never removed
  pinned,  // lifeboat: a pinned backup is never removed
  current, // lifeboat: the backup the running command just stored is never removed
};

// "within", "last", "hourly", ..., "yearly", "newest", "pinned", "current".
std::string_view to_string(RetentionRule rule);

struct RetentionReason {
  RetentionRule rule = RetentionRule::newest;
  int ordinal = 0;     // bucket rules: the bucket's number in the rule, #1 = newest; else 0
  bool oldest = false; // kept as the oldest item while the rule had count left
  std::string detail;  // the span ("30d") of the within rule; else ""

  // "daily #3", "oldest monthly #4", "within 30d", "last #1", "newest", "pinned",
  // "just stored".
  std::string str() const;

  bool operator==(const RetentionReason&) const = default;
};

// What the count rules have left after an item was looked at (restic's counters): -1 stays -1.
struct RetentionCounters {
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;

  bool operator==(const RetentionCounters&) const = default;
};

struct RetentionItem {
  std::string id;       // returned as is; lifeboat passes the backup id
  TimePoint time{};     // the backup's time (sub-second precision is kept)
  bool pinned = false;  // always kept (reason "pinned")
  bool current = false; // the backup the running command just stored: always kept ("just stored")
};

struct RetentionDecision {
  std::size_t index = 0; // position of the item in the caller's vector
  std::string id;
  TimePoint time{};
  bool keep = false;
  std::vector<RetentionReason> reasons; // empty when removed
  RetentionCounters counters;

  // The reasons' str() joined by ", ": "daily #1, weekly #1, monthly #1"; "" when removed.
  std::string reasons_text() const;
};

struct RetentionOptions {
  // The clock, when "within" should ignore items dated after it (restic takes the newest
  // item before now as the reference). Unset: the newest item is the reference. When every
  // item is after now, restic's reference is year 1 and every item is "within".
  std::optional<TimePoint> now;
  // Lifeboat's rule: the newest item is always kept (reason "newest"). false = pure restic.
  bool keep_newest = true;
};

// The decision for every item, newest first (equal times in the caller's order); each names
// its index in `items`. Items may come in any order, and any number may be pinned or
// current. Counts below -1 act as 0, as in restic; run validate() first. Throws
// Error{config} when policy.time_zone cannot be located.
std::vector<RetentionDecision> apply_retention(const RetentionPolicy& policy,
                                               const std::vector<RetentionItem>& items,
                                               const RetentionOptions& options = {});

// The bucket of t for a rule, for listings and tests: hourly "2024-03-31 02h", daily
// "2024-03-31", weekly "2020-W53", monthly "2024-03", yearly "2024"; "" for the rules
// without buckets (within, last, newest, pinned, current).
std::string bucket_label(RetentionRule rule, TimePoint t, const TimeZone& zone = {});

} // namespace lifeboat::core
