#include "core/retention.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <numeric>

#include <date/iso_week.h>
#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat::core {

namespace {

namespace ch = std::chrono;

// Bounds each number of a span so that calendar arithmetic stays far inside int64.
constexpr int k_span_max = 1'000'000;
// A threshold in a year before this is older than every TimePoint (system_clock counts
// nanoseconds in int64: 1677 .. 2262), so every item is within; also keeps the calendar
// arithmetic inside std::chrono::year's -32767 .. 32767.
constexpr std::int64_t k_first_year = 1600;

// A local wall-clock time broken down for the buckets (std::chrono's civil calendar, ISO
// weeks from date/iso_week.h).
struct Civil {
  ch::year_month_day date;
  ch::hours hour{0};
  iso_week::year_weeknum_weekday iso;
};

Civil civil_of(ch::local_seconds local) {
  const ch::local_days day = ch::floor<ch::days>(local);
  return {.date = ch::year_month_day{day},
          .hour = ch::floor<ch::hours>(local - day),
          .iso = iso_week::year_weeknum_weekday{iso_week::local_days{day.time_since_epoch()}}};
}

Civil civil_of(TimePoint t, const TimeZone& zone) {
  return civil_of(zone.to_local(ch::floor<ch::seconds>(t)));
}

struct Instant {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0; // 0..999'999'999
  auto operator<=>(const Instant&) const = default;
};

Instant instant_of(TimePoint t) {
  auto s = ch::floor<ch::seconds>(t);
  return {s.time_since_epoch().count(), ch::duration_cast<ch::nanoseconds>(t - s).count()};
}

} // namespace

// ---- spans and policies ----

std::string RetentionSpan::str() const {
  std::string s;
  if (years != 0) {
    s += fmt::format("{}y", years);
  }
  if (months != 0) {
    s += fmt::format("{}m", months);
  }
  if (days != 0) {
    s += fmt::format("{}d", days);
  }
  if (hours != 0) {
    s += fmt::format("{}h", hours);
  }
  return s;
}

Result<RetentionSpan> RetentionSpan::parse(std::string_view text) {
  std::string_view s = trim(text);
  auto fail = [&](const std::string& why) -> Result<RetentionSpan> {
    return unexpected(fmt::format("invalid retention span '{}': {}", text, why));
  };
  if (s.empty()) {
    return fail("empty (use e.g. 14d, 6m or 1y6m)");
  }
  RetentionSpan span;
  std::string seen;
  int weeks = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t begin = pos;
    std::int64_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      n = std::min<std::int64_t>(n * 10 + (s[pos] - '0'), std::int64_t{k_span_max} + 1);
      ++pos;
    }
    if (pos == begin) {
      return fail(fmt::format("expected a number at '{}'", s.substr(pos)));
    }
    if (n > k_span_max) {
      return fail(fmt::format("'{}' is too large", s.substr(begin, pos - begin)));
    }
    if (pos == s.size()) {
      return fail(fmt::format("missing unit after {} (use y, m, w, d or h)", n));
    }
    char unit = s[pos++];
    if (seen.find(unit) != std::string::npos) {
      return fail(fmt::format("unit '{}' given twice", unit));
    }
    seen.push_back(unit);
    auto value = static_cast<int>(n);
    switch (unit) {
    case 'y':
      span.years = value;
      break;
    case 'm':
      span.months = value;
      break;
    case 'w':
      weeks = value;
      break;
    case 'd':
      span.days = value;
      break;
    case 'h':
      span.hours = value;
      break;
    default:
      return fail(fmt::format("unknown unit '{}' (use y, m, w, d or h)", unit));
    }
  }
  span.days += weeks * 7;
  return span;
}

RetentionPolicy RetentionPolicy::defaults() {
  RetentionPolicy p;
  p.daily = 30;
  p.weekly = 12;
  p.monthly = 12;
  p.within.days = 2;
  return p;
}

bool RetentionPolicy::empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.zero();
}

namespace {

struct NamedCount {
  std::string_view key;
  std::string_view word;
  int RetentionPolicy::*field;
};

constexpr std::array<NamedCount, 6> k_counts{{
    {"keep_last", "last", &RetentionPolicy::last},
    {"keep_hourly", "hourly", &RetentionPolicy::hourly},
    {"keep_daily", "daily", &RetentionPolicy::daily},
    {"keep_weekly", "weekly", &RetentionPolicy::weekly},
    {"keep_monthly", "monthly", &RetentionPolicy::monthly},
    {"keep_yearly", "yearly", &RetentionPolicy::yearly},
}};

} // namespace

std::string RetentionPolicy::describe() const {
  std::vector<std::string> counts;
  for (const auto& c : k_counts) {
    int n = this->*c.field;
    if (n > 0) {
      counts.push_back(fmt::format("{} {}", n, c.word));
    } else if (n == -1) {
      counts.push_back(fmt::format("all {}", c.word));
    }
  }
  std::string text;
  if (!counts.empty()) {
    text = join(counts, ", ") + " backups";
  }
  if (!within.zero()) {
    text += (text.empty() ? "" : " and ") +
            fmt::format("every backup within {} of the newest", within.str());
  }
  if (text.empty()) {
    return "keep nothing";
  }
  if (!time_zone.empty() && time_zone != "UTC") {
    text += fmt::format(" (calendar of {})", time_zone);
  }
  return "keep " + text;
}

Result<void> validate(const RetentionPolicy& policy) {
  for (const auto& c : k_counts) {
    int n = policy.*c.field;
    if (n < -1) {
      return unexpected(fmt::format(
          "invalid retention policy: {} is {} (use a number of backups, or -1 for unlimited)",
          c.key, n));
    }
  }
  const RetentionSpan& span = policy.within;
  if (span.years < 0 || span.months < 0 || span.days < 0 || span.hours < 0) {
    return unexpected(
        fmt::format("invalid retention policy: keep_within '{}' has a negative part", span.str()));
  }
  if (policy.empty()) {
    return unexpected(
        std::string("retention policy keeps nothing: set at least one of keep_last, keep_hourly, "
                    "keep_daily, keep_weekly, keep_monthly, keep_yearly or keep_within"));
  }
  if (auto zone = TimeZone::locate(policy.time_zone); !zone) {
    return unexpected(zone.error());
  }
  return {};
}

// ---- reasons ----

std::string_view to_string(RetentionRule rule) {
  switch (rule) {
  case RetentionRule::within:
    return "within";
  case RetentionRule::last:
    return "last";
  case RetentionRule::hourly:
    return "hourly";
  case RetentionRule::daily:
    return "daily";
  case RetentionRule::weekly:
    return "weekly";
  case RetentionRule::monthly:
    return "monthly";
  case RetentionRule::yearly:
    return "yearly";
  case RetentionRule::newest:
    return "newest";
  case RetentionRule::pinned:
    return "pinned";
  case RetentionRule::current:
    return "current";
  }
  return "unknown";
}

namespace {

// The numeric bucket of a rule (restic's bucketers); `nr` makes every item its own bucket
// for "last".
std::int64_t bucket_value(RetentionRule rule, const Civil& c, std::size_t nr) {
  const std::int64_t y = static_cast<int>(c.date.year());
  const std::int64_t m = static_cast<unsigned>(c.date.month());
  const std::int64_t d = static_cast<unsigned>(c.date.day());
  switch (rule) {
  case RetentionRule::hourly:
    return y * 1'000'000 + m * 10'000 + d * 100 + c.hour.count();
  case RetentionRule::daily:
    return y * 10'000 + m * 100 + d;
  case RetentionRule::weekly:
    return std::int64_t{static_cast<int>(c.iso.year())} * 100 +
           static_cast<unsigned>(c.iso.weeknum());
  case RetentionRule::monthly:
    return y * 100 + m;
  case RetentionRule::yearly:
    return y;
  default:
    return static_cast<std::int64_t>(nr);
  }
}

} // namespace

std::string RetentionReason::str() const {
  switch (rule) {
  case RetentionRule::within:
    return "within " + detail;
  case RetentionRule::newest:
    return "newest";
  case RetentionRule::pinned:
    return "pinned";
  case RetentionRule::current:
    return "just stored";
  default:
    return fmt::format("{}{} #{}", oldest ? "oldest " : "", to_string(rule), ordinal);
  }
}

std::string RetentionDecision::reasons_text() const {
  std::vector<std::string> parts;
  parts.reserve(reasons.size());
  for (const auto& r : reasons) {
    parts.push_back(r.str());
  }
  return join(parts, ", ");
}

std::string bucket_label(RetentionRule rule, TimePoint t, const TimeZone& zone) {
  const Civil c = civil_of(t, zone);
  const int y = static_cast<int>(c.date.year());
  const unsigned m = static_cast<unsigned>(c.date.month());
  const unsigned d = static_cast<unsigned>(c.date.day());
  switch (rule) {
  case RetentionRule::hourly:
    return fmt::format("{:04}-{:02}-{:02} {:02}h", y, m, d, c.hour.count());
  case RetentionRule::daily:
    return fmt::format("{:04}-{:02}-{:02}", y, m, d);
  case RetentionRule::weekly:
    return fmt::format("{:04}-W{:02}", static_cast<int>(c.iso.year()),
                       static_cast<unsigned>(c.iso.weeknum()));
  case RetentionRule::monthly:
    return fmt::format("{:04}-{:02}", y, m);
  case RetentionRule::yearly:
    return fmt::format("{:04}", y);
  default:
    return "";
  }
}

// ---- the engine ----

namespace {

// reference - span: calendar years/months/days in the zone (Go's AddDate: the day of month
// is kept and its overflow carried into the next month, 03-31 - 1m = "02-31" = 03-02), then
// the hours as elapsed time. nullopt when the result is older than any TimePoint (every
// item is within).
std::optional<Instant> subtract_span(Instant reference, const RetentionSpan& span,
                                     const TimeZone& zone) {
  const ch::local_seconds local = zone.to_local(ch::sys_seconds{ch::seconds{reference.seconds}});
  const ch::local_days day = ch::floor<ch::days>(local);
  const ch::year_month_day ymd{day};
  const std::int64_t months = std::int64_t{span.years} * 12 + span.months;
  if (static_cast<int>(ymd.year()) - months / 12 - 1 < k_first_year) {
    return std::nullopt;
  }
  const ch::year_month first_of_month =
      ch::year_month{ymd.year(), ymd.month()} - ch::months{months};
  const ch::local_days new_day = ch::local_days{first_of_month / 1} +
                                 ch::days{static_cast<unsigned>(ymd.day()) - 1} -
                                 ch::days{span.days};
  const ch::sys_seconds utc = zone.to_sys(new_day + (local - day)) - ch::hours{span.hours};
  return Instant{utc.time_since_epoch().count(), reference.nanos};
}

struct CountRule {
  RetentionRule rule;
  int count;
  std::optional<std::int64_t> bucket{}; // of the item this rule kept last
  int kept = 0;
};

} // namespace

std::vector<RetentionDecision> apply_retention(const RetentionPolicy& policy,
                                               const std::vector<RetentionItem>& items,
                                               const RetentionOptions& options) {
  auto located = TimeZone::locate(policy.time_zone);
  if (!located) {
    throw Error(ErrorKind::config, located.error(),
                "Use an IANA time zone name such as 'Europe/Berlin', or leave it empty for UTC.");
  }
  const TimeZone& zone = *located;

  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return items[a].time > items[b].time; });

  // The reference of the within rule: the newest item (before `now` when given). Without
  // one (every item after now) restic's reference is year 1: every item is within.
  std::optional<Instant> reference;
  for (const auto& item : items) {
    if (!options.now || item.time < *options.now) {
      Instant i = instant_of(item.time);
      if (!reference || i > *reference) {
        reference = i;
      }
    }
  }
  std::optional<Instant> within_threshold;
  if (!policy.within.zero() && reference) {
    within_threshold = subtract_span(*reference, policy.within, zone);
  }

  std::array<CountRule, 6> counts{{
      {RetentionRule::last, policy.last},
      {RetentionRule::hourly, policy.hourly},
      {RetentionRule::daily, policy.daily},
      {RetentionRule::weekly, policy.weekly},
      {RetentionRule::monthly, policy.monthly},
      {RetentionRule::yearly, policy.yearly},
  }};

  std::vector<RetentionDecision> decisions;
  decisions.reserve(items.size());
  for (std::size_t nr = 0; nr < order.size(); ++nr) {
    const RetentionItem& item = items[order[nr]];
    const bool oldest_item = nr + 1 == order.size();
    const Civil civil = civil_of(item.time, zone);
    RetentionDecision d{.index = order[nr], .id = item.id, .time = item.time};

    if (!policy.within.zero() && (!within_threshold || instant_of(item.time) > *within_threshold)) {
      d.reasons.push_back({.rule = RetentionRule::within, .detail = policy.within.str()});
    }
    for (auto& c : counts) {
      if (c.count <= 0 && c.count != -1) {
        continue;
      }
      std::int64_t value = bucket_value(c.rule, civil, nr);
      if (value != c.bucket || oldest_item) {
        bool oldest = value == c.bucket; // same bucket: kept only as the oldest item
        c.bucket = value;
        if (c.count > 0) {
          --c.count;
        }
        d.reasons.push_back({.rule = c.rule, .ordinal = ++c.kept, .oldest = oldest});
      }
    }
    d.keep = !d.reasons.empty();
    d.counters = {counts[0].count, counts[1].count, counts[2].count,
                  counts[3].count, counts[4].count, counts[5].count};
    decisions.push_back(std::move(d));
  }

  // Lifeboat's rules, after the walk so that they cannot change any restic decision.
  for (std::size_t nr = 0; nr < decisions.size(); ++nr) {
    RetentionDecision& d = decisions[nr];
    const RetentionItem& item = items[d.index];
    if (nr == 0 && options.keep_newest && !d.keep) {
      d.reasons.push_back({.rule = RetentionRule::newest});
    }
    if (item.pinned) {
      d.reasons.push_back({.rule = RetentionRule::pinned});
    }
    if (item.current) {
      d.reasons.push_back({.rule = RetentionRule::current});
    }
    d.keep = !d.reasons.empty();
  }
  return decisions;
}

} // namespace lifeboat::core
