#include "util/tz.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include <date/tz.h>
#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat {

namespace {

namespace ch = std::chrono;
using ch::local_seconds;
using ch::sys_seconds;

// Where date/tz.h (built with USE_OS_TZDB=1) finds the zic-compiled zones on Debian. It
// does not read $TZDIR, so neither do we: the footer must come from the file date read.
constexpr std::string_view k_zoneinfo = "/usr/share/zoneinfo";
// A TZif file is a few KiB; anything bigger is not one.
constexpr std::size_t k_tzif_max_size = 1 << 20;
// date's calendar (and ours) spans years -32767..32767; lookups outside are clamped.
const sys_seconds k_min_time{ch::sys_days{ch::year{-32000} / 1 / 1}.time_since_epoch()};
const sys_seconds k_max_time{ch::sys_days{ch::year{32000} / 1 / 1}.time_since_epoch()};
// Later than any transition a TZif table lists: the period date reports here starts at
// the table's last transition.
const sys_seconds k_after_tables{ch::sys_days{ch::year{3000} / 1 / 1}.time_since_epoch()};

// ---- POSIX TZ rules (RFC 8536 section 3.3), for instants after a file's last transition ----

// A day of the year a rule changes on, and the local time of the change.
struct RuleDate {
  enum class Kind { julian, zero_based, month_week_day };
  Kind kind = Kind::month_week_day;
  // "Jn": n = 1..365, Feb 29 never counted; "n": 0..365, Feb 29 counted; "Mm.w.d": d, the
  // weekday, 0 = Sunday.
  unsigned day = 0;
  unsigned week = 1;           // Mm.w.d: 1..5, 5 = the last such weekday of the month
  unsigned month = 1;          // Mm.w.d: 1..12
  Seconds time = ch::hours{2}; // after local midnight; -167h..167h (RFC 8536 extension)

  // The local wall-clock time of the change in year y.
  local_seconds time_in(ch::year y) const {
    ch::local_days day0;
    switch (kind) {
    case Kind::julian:
      day0 = ch::local_days{y / ch::January / 1} + ch::days{day - 1};
      if (y.is_leap() && day >= 60) {
        day0 += ch::days{1};
      }
      break;
    case Kind::zero_based:
      day0 = ch::local_days{y / ch::January / 1} + ch::days{day};
      break;
    case Kind::month_week_day: {
      const ch::weekday wd{day};
      const ch::month m{month};
      day0 = week == 5 ? ch::local_days{y / m / wd[ch::last]} : ch::local_days{y / m / wd[week]};
      break;
    }
    }
    return local_seconds{day0} + time;
  }
};

struct PosixRule {
  Seconds std_offset{0}; // east of UTC
  bool has_dst = false;
  Seconds dst_offset{0};
  RuleDate start;
  RuleDate end;

  Seconds offset(sys_seconds t) const {
    if (!has_dst) {
      return std_offset;
    }
    const ch::year y =
        ch::year_month_day{ch::floor<ch::days>(local_seconds{(t + std_offset).time_since_epoch()})}
            .year();
    // The start is written in standard time, the end in daylight time (POSIX).
    const sys_seconds start_utc{(start.time_in(y) - std_offset).time_since_epoch()};
    const sys_seconds end_utc{(end.time_in(y) - dst_offset).time_since_epoch()};
    if (start_utc < end_utc) {
      return t >= start_utc && t < end_utc ? dst_offset : std_offset;
    }
    // Southern hemisphere (or Dublin's negative DST): daylight time spans the new year.
    return t >= end_utc && t < start_utc ? std_offset : dst_offset;
  }
};

// "std offset [dst [offset] [,start[/time],end[/time]]]", e.g. "CET-1CEST,M3.5.0,M10.5.0/3",
// "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0".
class PosixParser {
public:
  explicit PosixParser(std::string_view text) : m_text(text) {}

  std::optional<PosixRule> parse() {
    PosixRule rule;
    Seconds west{0};
    if (!name() || !offset(west, 24)) {
      return std::nullopt;
    }
    rule.std_offset = -west;
    if (at_end()) {
      return rule;
    }
    if (!name()) {
      return std::nullopt;
    }
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + ch::hours{1};
    if (!at_end() && peek() != ',') {
      if (!offset(west, 24)) {
        return std::nullopt;
      }
      rule.dst_offset = -west;
    }
    if (at_end()) {
      // No rule given: POSIX leaves it to the implementation; glibc uses the US rule.
      rule.start = {.day = 0, .week = 2, .month = 3};
      rule.end = {.day = 0, .week = 1, .month = 11};
      return rule;
    }
    if (!take(',') || !date(rule.start) || !take(',') || !date(rule.end) || !at_end()) {
      return std::nullopt;
    }
    return rule;
  }

private:
  bool at_end() const { return m_pos >= m_text.size(); }
  char peek() const { return m_text[m_pos]; }
  bool take(char c) {
    if (!at_end() && peek() == c) {
      ++m_pos;
      return true;
    }
    return false;
  }
  static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // "CET" or "<+0330>".
  bool name() {
    if (take('<')) {
      std::size_t close = m_text.find('>', m_pos);
      if (close == std::string_view::npos || close == m_pos) {
        return false;
      }
      m_pos = close + 1;
      return true;
    }
    std::size_t begin = m_pos;
    while (!at_end() && is_alpha(peek())) {
      ++m_pos;
    }
    return m_pos - begin >= 3;
  }

  bool number(unsigned& out, unsigned max) {
    std::size_t begin = m_pos;
    unsigned v = 0;
    while (!at_end() && is_digit(peek()) && m_pos - begin < 4) {
      v = v * 10 + static_cast<unsigned>(peek() - '0');
      ++m_pos;
    }
    out = v;
    return m_pos > begin && v <= max;
  }

  // [+-]hh[:mm[:ss]]; the sign is the text's (POSIX offsets are west-positive).
  bool offset(Seconds& out, unsigned max_hours) {
    bool negative = take('-');
    if (!negative) {
      take('+');
    }
    unsigned h = 0;
    unsigned m = 0;
    unsigned s = 0;
    if (!number(h, max_hours)) {
      return false;
    }
    if (take(':') && (!number(m, 59) || (take(':') && !number(s, 59)))) {
      return false;
    }
    Seconds v = ch::hours{h} + ch::minutes{m} + Seconds{s};
    out = negative ? -v : v;
    return true;
  }

  bool date(RuleDate& out) {
    if (take('J')) {
      out.kind = RuleDate::Kind::julian;
      if (!number(out.day, 365) || out.day < 1) {
        return false;
      }
    } else if (take('M')) {
      out.kind = RuleDate::Kind::month_week_day;
      if (!number(out.month, 12) || out.month < 1 || !take('.') || !number(out.week, 5) ||
          out.week < 1 || !take('.') || !number(out.day, 6)) {
        return false;
      }
    } else {
      out.kind = RuleDate::Kind::zero_based;
      if (!number(out.day, 365)) {
        return false;
      }
    }
    out.time = ch::hours{2};
    return !take('/') || offset(out.time, 167);
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// The footer of a TZif file of version 2 or later: the last line, "\n" TZ-string "\n".
// nullopt for a version 1 file or an empty footer (no rule after the table).
Result<std::optional<PosixRule>> read_footer(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return unexpected(fmt::format("unable to read time zone file '{}': {}", path, ec.message()));
  }
  if (size > k_tzif_max_size) {
    return unexpected(fmt::format("unusable time zone file '{}': too large", path));
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  std::ifstream file(path, std::ios::binary);
  file.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!file) {
    return unexpected(fmt::format("unable to read time zone file '{}'", path));
  }
  if (data.size() < 5 || !data.starts_with("TZif")) {
    return unexpected(fmt::format("unusable time zone file '{}': not a TZif file", path));
  }
  if (data[4] == '\0') {
    return std::optional<PosixRule>{};
  }
  std::size_t open = data.rfind('\n', data.size() - 2);
  if (data.back() != '\n' || open == std::string::npos) {
    return unexpected(fmt::format("unusable time zone file '{}': missing footer", path));
  }
  std::string_view tz = std::string_view(data).substr(open + 1, data.size() - open - 2);
  if (tz.empty()) {
    return std::optional<PosixRule>{};
  }
  auto rule = PosixParser(tz).parse();
  if (!rule) {
    return unexpected(
        fmt::format("unusable time zone file '{}': unsupported TZ rule '{}'", path, tz));
  }
  return rule;
}

} // namespace

namespace {

// Serializes every first touch of date's database (TimeZone::locate).
std::mutex& tzdb_mutex() {
  static std::mutex m;
  return m;
}

} // namespace

struct TimeZone::Rules {
  // Owned by date's database, which lives until the process exits. Its data is loaded
  // once (std::call_once inside date) and read-only afterwards.
  const date::time_zone* zone = nullptr;
  std::optional<PosixRule> footer;
  sys_seconds footer_from{}; // the table's last transition; the footer rules from there on
};

TimeZone::TimeZone() : m_name("UTC") {}

Result<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name == "UTC") {
    return TimeZone{};
  }
  // ThreadSanitizer saw two threads race inside libdate-tz on their first lookups (one
  // building the zone list while the other compared names in it). date is built without
  // TSan here, so whether its own once-guards cover it cannot be shown; lookups and the
  // loading of a zone's file are serialized by lifeboat instead. They are rare (a config
  // load, a job): everything after them reads immutable data, ordered by this mutex.
  std::lock_guard<std::mutex> hold(tzdb_mutex());
  try {
    date::get_tzdb(); // a function-local static: the zone list, built once
  } catch (const std::exception& e) {
    return unexpected(fmt::format("unable to read the tz database in '{}' for time zone '{}': {}",
                                  k_zoneinfo, name, trim(e.what())));
  }
  Rules rules;
  try {
    rules.zone = date::locate_zone(name);
  } catch (const std::exception&) {
    // date's only failure here is "<name> not found in timezone database".
    return unexpected(
        fmt::format("unknown time zone '{}': no such zone in '{}'", name, k_zoneinfo));
  }
  std::string path = fmt::format("{}/{}", k_zoneinfo, rules.zone->name());
  try {
    // date reads a zone's file on first use; do it here, so that a bad file is this error
    // and never an exception out of to_local().
    rules.footer_from = rules.zone->get_info(k_after_tables).begin;
  } catch (const std::exception& e) {
    return unexpected(fmt::format("unusable time zone file '{}': {}", path, trim(e.what())));
  }
  auto footer = read_footer(path);
  if (!footer) {
    return unexpected(footer.error());
  }
  rules.footer = *footer;
  TimeZone zone;
  zone.m_name = std::string(name);
  zone.m_rules = std::make_shared<const Rules>(std::move(rules));
  return zone;
}

std::vector<std::string> TimeZone::names() {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> hold(tzdb_mutex());
  try {
    for (const auto& zone : date::get_tzdb().zones) {
      out.push_back(zone.name());
    }
  } catch (const std::exception&) {
    return {};
  }
  std::sort(out.begin(), out.end());
  return out;
}

Seconds TimeZone::offset(sys_seconds t) const {
  if (!m_rules) {
    return Seconds{0};
  }
  t = std::clamp(t, k_min_time, k_max_time);
  if (m_rules->footer && t >= m_rules->footer_from) {
    return m_rules->footer->offset(t);
  }
  return m_rules->zone->get_info(t).offset;
}

local_seconds TimeZone::to_local(sys_seconds t) const {
  return local_seconds{t.time_since_epoch() + offset(t)};
}

sys_seconds TimeZone::to_sys(local_seconds local) const {
  // The wall clock read as UTC picks a first offset; when the instant it gives lies in
  // another offset's period (a gap or an overlap), the offset at that instant decides.
  // This is Go's time.Date with "period" read as "the span the offset stays the same".
  sys_seconds wall{local.time_since_epoch()};
  Seconds first = offset(wall);
  sys_seconds guess = wall - first;
  Seconds second = offset(guess);
  return second == first ? guess : wall - second;
}

} // namespace lifeboat
