#include "core/retention.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>

#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat::core {

namespace {

using std::chrono::local_seconds;
using std::chrono::sys_seconds;

constexpr std::int64_t k_seconds_per_day = 86400;
// Bounds each number of a span so that calendar arithmetic stays far inside int64.
constexpr int k_span_max = 1'000'000;
// A TZif file is a few KiB; anything bigger is not one.
constexpr std::size_t k_tzif_max_size = 1 << 20;
constexpr std::string_view k_zoneinfo = "/usr/share/zoneinfo";

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Proleptic Gregorian calendar on int64 day numbers (day 0 = 1970-01-01), valid far beyond
// std::chrono::year's ±32767, which "9999y" back from the newest backup would approach.
// These are H. Hinnant's public-domain chrono-compatible algorithms.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Date {
  std::int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
};

Date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  Date out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = static_cast<std::int64_t>(yoe) + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> k_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : k_days[m - 1];
}

// ISO 8601 weekday of a day number: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday).
unsigned iso_weekday(std::int64_t day) {
  return static_cast<unsigned>(((day % 7) + 7 + 3) % 7) + 1;
}

// A local wall-clock time broken down for the buckets.
struct Civil {
  Date date;
  unsigned hour = 0;
  std::int64_t iso_year = 1970;
  unsigned iso_week = 1;
};

Civil civil_of(std::int64_t local) {
  Civil c;
  std::int64_t day = floor_div(local, k_seconds_per_day);
  c.date = civil_from_days(day);
  c.hour = static_cast<unsigned>((local - day * k_seconds_per_day) / 3600);
  // The ISO week belongs to the year of its Thursday.
  std::int64_t thursday = day + 4 - static_cast<std::int64_t>(iso_weekday(day));
  c.iso_year = civil_from_days(thursday).year;
  c.iso_week = static_cast<unsigned>((thursday - days_from_civil(c.iso_year, 1, 1)) / 7 + 1);
  return c;
}

// ---- POSIX TZ rules: the footer of a TZif file, used after its last transition ----

struct RuleDate {
  enum class Kind { julian, zero_based, month_week_day };
  Kind kind = Kind::month_week_day;
  int day = 0;   // julian: 1..365 (Feb 29 never counted); zero_based: 0..365; else weekday 0 = Sun
  int week = 1;  // month_week_day: 1..5, 5 = the last such weekday of the month
  int month = 1; // month_week_day: 1..12
  int time = 7200; // seconds after local midnight, -167h..167h (RFC 8536 extension)
};

struct PosixRule {
  std::int32_t std_offset = 0; // east of UTC
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  RuleDate start;
  RuleDate end;

  // Local time (seconds since the epoch, read as UTC) at which `date` happens in year y.
  static std::int64_t local_instant(const RuleDate& date, std::int64_t y) {
    std::int64_t day = 0;
    switch (date.kind) {
    case RuleDate::Kind::julian:
      day = days_from_civil(y, 1, 1) + date.day - 1 + (is_leap(y) && date.day >= 60 ? 1 : 0);
      break;
    case RuleDate::Kind::zero_based:
      day = days_from_civil(y, 1, 1) + date.day;
      break;
    case RuleDate::Kind::month_week_day: {
      auto month = static_cast<unsigned>(date.month);
      std::int64_t first = days_from_civil(y, month, 1);
      int first_weekday = static_cast<int>(iso_weekday(first) % 7); // 0 = Sunday
      int dom = 1 + (date.day - first_weekday + 7) % 7 + (date.week - 1) * 7;
      while (dom > static_cast<int>(days_in_month(y, month))) {
        dom -= 7;
      }
      day = first + dom - 1;
      break;
    }
    }
    return day * k_seconds_per_day + date.time;
  }

  std::int32_t offset(std::int64_t t) const {
    if (!has_dst) {
      return std_offset;
    }
    std::int64_t y = civil_from_days(floor_div(t + std_offset, k_seconds_per_day)).year;
    // The start is written in standard time, the end in daylight time (POSIX).
    std::int64_t start_utc = local_instant(start, y) - std_offset;
    std::int64_t end_utc = local_instant(end, y) - dst_offset;
    if (start_utc < end_utc) {
      return t >= start_utc && t < end_utc ? dst_offset : std_offset;
    }
    // Southern hemisphere (or Dublin's negative DST): daylight time spans the new year.
    return t >= end_utc && t < start_utc ? std_offset : dst_offset;
  }
};

class PosixParser {
public:
  explicit PosixParser(std::string_view text) : m_text(text) {}

  std::optional<PosixRule> parse() {
    PosixRule rule;
    int west = 0;
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
    rule.dst_offset = rule.std_offset + 3600;
    if (!at_end() && peek() != ',') {
      if (!offset(west, 24)) {
        return std::nullopt;
      }
      rule.dst_offset = -west;
    }
    if (at_end()) {
      // No rule given: POSIX leaves it to the implementation; glibc uses the US rule.
      rule.start = {.kind = RuleDate::Kind::month_week_day, .day = 0, .week = 2, .month = 3};
      rule.end = {.kind = RuleDate::Kind::month_week_day, .day = 0, .week = 1, .month = 11};
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

  bool number(int& out, int max) {
    std::size_t begin = m_pos;
    int v = 0;
    while (!at_end() && is_digit(peek()) && m_pos - begin < 4) {
      v = v * 10 + (peek() - '0');
      ++m_pos;
    }
    out = v;
    return m_pos > begin && v <= max;
  }

  // [+-]hh[:mm[:ss]] in seconds; the sign is the text's (POSIX offsets are west-positive).
  bool offset(int& seconds, int max_hours) {
    int sign = 1;
    if (take('-')) {
      sign = -1;
    } else {
      take('+');
    }
    int h = 0;
    int m = 0;
    int s = 0;
    if (!number(h, max_hours)) {
      return false;
    }
    if (take(':') && (!number(m, 59) || (take(':') && !number(s, 59)))) {
      return false;
    }
    seconds = sign * (h * 3600 + m * 60 + s);
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
    out.time = 7200;
    if (take('/')) {
      return offset(out.time, 167);
    }
    return true;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// Big-endian reader over a TZif file.
class Cursor {
public:
  explicit Cursor(std::string_view data) : m_data(data) {}
  bool skip(std::uint64_t n) {
    if (n > m_data.size() - m_pos) {
      return false;
    }
    m_pos += static_cast<std::size_t>(n);
    return true;
  }
  bool integer(int size, std::int64_t& out) {
    if (static_cast<std::size_t>(size) > m_data.size() - m_pos) {
      return false;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < size; ++i) {
      v = (v << 8) | static_cast<unsigned char>(m_data[m_pos++]);
    }
    // Sign-extend from `size` bytes.
    if (size < 8 && (v & (std::uint64_t{1} << (size * 8 - 1))) != 0) {
      v |= ~std::uint64_t{0} << (size * 8);
    }
    out = static_cast<std::int64_t>(v);
    return true;
  }
  std::string_view rest() const { return m_data.substr(m_pos); }

private:
  std::string_view m_data;
  std::size_t m_pos = 0;
};

struct TzifCounts {
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool read_header(Cursor& in, char& version, TzifCounts& c) {
  std::string_view head = in.rest().substr(0, 5);
  if (head.size() < 5 || head.substr(0, 4) != "TZif") {
    return false;
  }
  version = head[4];
  std::array<std::int64_t, 6> v{};
  if (!in.skip(20)) {
    return false;
  }
  for (auto& x : v) {
    if (!in.integer(4, x) || x < 0) {
      return false;
    }
  }
  c = {static_cast<std::uint64_t>(v[0]), static_cast<std::uint64_t>(v[1]),
       static_cast<std::uint64_t>(v[2]), static_cast<std::uint64_t>(v[3]),
       static_cast<std::uint64_t>(v[4]), static_cast<std::uint64_t>(v[5])};
  return true;
}

struct Instant {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0; // 0..999'999'999
  auto operator<=>(const Instant&) const = default;
};

Instant instant_of(TimePoint t) {
  auto s = std::chrono::floor<std::chrono::seconds>(t);
  return {s.time_since_epoch().count(),
          std::chrono::duration_cast<std::chrono::nanoseconds>(t - s).count()};
}

} // namespace

// ---- TimeZone ----

struct TimeZone::Rules {
  std::vector<std::int64_t> times;   // transition instants, ascending
  std::vector<std::uint8_t> types;   // the local time type from each transition on
  std::vector<std::int32_t> offsets; // UT offset of each local time type
  std::optional<PosixRule> footer;

  std::int32_t offset_at(std::int64_t t) const {
    if (times.empty()) {
      return footer ? footer->offset(t) : offsets.front();
    }
    if (t < times.front()) {
      return offsets.front(); // RFC 8536: type 0 before the first transition
    }
    auto i =
        static_cast<std::size_t>(std::upper_bound(times.begin(), times.end(), t) - times.begin()) -
        1;
    if (i + 1 == times.size() && footer) {
      return footer->offset(t);
    }
    return offsets[types[i]];
  }
};

namespace {

Result<TimeZone::Rules> parse_tzif(std::string_view data, const std::string& path) {
  auto bad = [&](std::string_view why) -> Result<TimeZone::Rules> {
    return unexpected(fmt::format("unusable time zone file '{}': {}", path, why));
  };
  Cursor in(data);
  char version = 0;
  TzifCounts c;
  if (!read_header(in, version, c)) {
    return bad("not a TZif file");
  }
  int time_size = 4;
  if (version != '\0') {
    // Version 2+: skip the 32-bit block, use the 64-bit one that follows.
    std::uint64_t v1 =
        c.timecnt * 5 + c.typecnt * 6 + c.charcnt + c.leapcnt * 8 + c.isstdcnt + c.isutcnt;
    if (!in.skip(v1) || !read_header(in, version, c)) {
      return bad("truncated");
    }
    time_size = 8;
  }
  if (c.leapcnt != 0) {
    return bad("leap-second ('right/') zones are not supported");
  }
  if (c.typecnt == 0 || c.typecnt > 256 || c.timecnt > data.size()) {
    return bad("invalid counts");
  }
  TimeZone::Rules rules;
  for (std::uint64_t i = 0; i < c.timecnt; ++i) {
    std::int64_t t = 0;
    if (!in.integer(time_size, t)) {
      return bad("truncated");
    }
    if (!rules.times.empty() && t <= rules.times.back()) {
      return bad("transitions out of order");
    }
    rules.times.push_back(t);
  }
  for (std::uint64_t i = 0; i < c.timecnt; ++i) {
    std::int64_t type = 0;
    if (!in.integer(1, type)) {
      return bad("truncated");
    }
    auto index = static_cast<std::uint8_t>(type);
    if (index >= c.typecnt) {
      return bad("invalid local time type");
    }
    rules.types.push_back(index);
  }
  for (std::uint64_t i = 0; i < c.typecnt; ++i) {
    std::int64_t utoff = 0;
    std::int64_t ignored = 0;
    if (!in.integer(4, utoff) || !in.integer(1, ignored) || !in.integer(1, ignored)) {
      return bad("truncated");
    }
    if (utoff <= -25 * 3600 || utoff >= 26 * 3600) {
      return bad("invalid UT offset");
    }
    rules.offsets.push_back(static_cast<std::int32_t>(utoff));
  }
  if (!in.skip(c.charcnt + c.isstdcnt + c.isutcnt)) {
    return bad("truncated");
  }
  if (time_size == 8) {
    // Footer: "\n" TZ-string "\n"; an empty string means "no rule after the last transition".
    std::string_view rest = in.rest();
    std::size_t close = rest.find('\n', 1);
    if (rest.empty() || rest[0] != '\n' || close == std::string_view::npos) {
      return bad("missing footer");
    }
    std::string_view tz = rest.substr(1, close - 1);
    if (!tz.empty()) {
      rules.footer = PosixParser(tz).parse();
      if (!rules.footer) {
        return bad(fmt::format("unsupported TZ rule '{}'", tz));
      }
    }
  }
  return rules;
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/') {
    return false;
  }
  for (const std::string& part : split(name, '/')) {
    if (part.empty() || part.front() == '.' || part.front() == '-') {
      return false;
    }
    for (char ch : part) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '+' || ch == '-' || ch == '.';
      if (!ok) {
        return false;
      }
    }
  }
  return true;
}

} // namespace

TimeZone::TimeZone() : m_name("UTC") {}

Result<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name == "UTC") {
    return TimeZone{};
  }
  if (!valid_zone_name(name)) {
    return unexpected(fmt::format("invalid time zone name '{}': use an IANA name such as "
                                  "'Europe/Berlin'",
                                  name));
  }
  // $TZDIR is the tz database's own override (tzcode, glibc); normally unset.
  const char* tzdir = std::getenv("TZDIR");
  std::string dir = tzdir != nullptr && *tzdir != '\0' ? tzdir : std::string(k_zoneinfo);
  std::string path = dir + "/" + std::string(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return unexpected(fmt::format("unknown time zone '{}': no such zone in '{}'", name, dir));
  }
  std::ifstream file(path, std::ios::binary);
  std::string data(k_tzif_max_size + 1, '\0');
  file.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (file.bad()) {
    return unexpected(fmt::format("unable to read time zone file '{}'", path));
  }
  data.resize(static_cast<std::size_t>(file.gcount()));
  if (data.size() > k_tzif_max_size) {
    return unexpected(fmt::format("unusable time zone file '{}': too large", path));
  }
  auto rules = parse_tzif(data, path);
  if (!rules) {
    return unexpected(rules.error());
  }
  TimeZone zone;
  zone.m_name = std::string(name);
  zone.m_rules = std::make_shared<const Rules>(std::move(*rules));
  return zone;
}

Seconds TimeZone::offset(sys_seconds t) const {
  return m_rules ? Seconds{m_rules->offset_at(t.time_since_epoch().count())} : Seconds{0};
}

local_seconds TimeZone::to_local(sys_seconds t) const {
  return local_seconds{t.time_since_epoch() + offset(t)};
}

sys_seconds TimeZone::to_sys(local_seconds local) const {
  // The wall clock read as UTC picks a first offset; when the instant it gives lies in
  // another offset's period (a gap or an overlap), the offset at that instant decides.
  sys_seconds wall{local.time_since_epoch()};
  Seconds first = offset(wall);
  sys_seconds guess = wall - first;
  Seconds second = offset(guess);
  return second == first ? guess : wall - second;
}

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
  return p;
}

bool RetentionPolicy::empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.zero() && within_hourly.zero() && within_daily.zero() && within_weekly.zero() &&
         within_monthly.zero() && within_yearly.zero() && keep_tags.empty();
}

namespace {

std::string tag_list_text(const std::vector<std::string>& tags) {
  std::string s = "[";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    s += (i == 0 ? "" : ", ") + tags[i];
  }
  return s + "]";
}

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

struct NamedSpan {
  std::string_view key;
  std::string_view word;
  RetentionSpan RetentionPolicy::*field;
};

constexpr std::array<NamedSpan, 6> k_spans{{
    {"keep_within", "", &RetentionPolicy::within},
    {"keep_within_hourly", "hourly", &RetentionPolicy::within_hourly},
    {"keep_within_daily", "daily", &RetentionPolicy::within_daily},
    {"keep_within_weekly", "weekly", &RetentionPolicy::within_weekly},
    {"keep_within_monthly", "monthly", &RetentionPolicy::within_monthly},
    {"keep_within_yearly", "yearly", &RetentionPolicy::within_yearly},
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
  std::vector<std::string> spans;
  for (std::size_t i = 1; i < k_spans.size(); ++i) {
    const RetentionSpan& s = this->*k_spans[i].field;
    if (!s.zero()) {
      spans.push_back(fmt::format("{} backups within {}", k_spans[i].word, s.str()));
    }
  }
  std::string text;
  if (!counts.empty()) {
    text = join(counts, ", ") + " backups";
  }
  if (!spans.empty()) {
    text += (text.empty() ? "" : ", ") + join(spans, ", ");
  }
  if (!keep_tags.empty()) {
    std::vector<std::string> lists;
    for (const auto& l : keep_tags) {
      lists.push_back(tag_list_text(l));
    }
    text += (text.empty() ? "" : " and ") +
            fmt::format("all backups with tags {}", join(lists, " or "));
  }
  if (!within.zero()) {
    text += (text.empty() ? "" : " and ") +
            fmt::format("all backups within {} of the newest", within.str());
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
  for (const auto& s : k_spans) {
    const RetentionSpan& span = policy.*s.field;
    if (span.years < 0 || span.months < 0 || span.days < 0 || span.hours < 0) {
      return unexpected(
          fmt::format("invalid retention policy: {} '{}' has a negative part", s.key, span.str()));
    }
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
  case RetentionRule::tags:
    return "tags";
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
  case RetentionRule::within_hourly:
    return "within_hourly";
  case RetentionRule::within_daily:
    return "within_daily";
  case RetentionRule::within_weekly:
    return "within_weekly";
  case RetentionRule::within_monthly:
    return "within_monthly";
  case RetentionRule::within_yearly:
    return "within_yearly";
  case RetentionRule::newest:
    return "newest";
  }
  return "unknown";
}

namespace {

bool is_within_bucket(RetentionRule rule) {
  return rule >= RetentionRule::within_hourly && rule <= RetentionRule::within_yearly;
}

// The bucket rule a within-bucket rule walks with: within_daily -> daily.
RetentionRule bucket_of(RetentionRule rule) {
  switch (rule) {
  case RetentionRule::within_hourly:
    return RetentionRule::hourly;
  case RetentionRule::within_daily:
    return RetentionRule::daily;
  case RetentionRule::within_weekly:
    return RetentionRule::weekly;
  case RetentionRule::within_monthly:
    return RetentionRule::monthly;
  case RetentionRule::within_yearly:
    return RetentionRule::yearly;
  default:
    return rule;
  }
}

// The numeric bucket of a rule (restic's bucketers); `nr` makes every item its own bucket
// for "last".
std::int64_t bucket_value(RetentionRule rule, const Civil& c, std::size_t nr) {
  const Date& d = c.date;
  switch (bucket_of(rule)) {
  case RetentionRule::hourly:
    return d.year * 1'000'000 + d.month * 10'000 + d.day * 100 + c.hour;
  case RetentionRule::daily:
    return d.year * 10'000 + d.month * 100 + d.day;
  case RetentionRule::weekly:
    return c.iso_year * 100 + c.iso_week;
  case RetentionRule::monthly:
    return d.year * 100 + d.month;
  case RetentionRule::yearly:
    return d.year;
  default:
    return static_cast<std::int64_t>(nr);
  }
}

} // namespace

std::string RetentionReason::str() const {
  std::string prefix = oldest ? "oldest " : "";
  switch (rule) {
  case RetentionRule::tags:
    return "tags " + detail;
  case RetentionRule::within:
    return "within " + detail;
  case RetentionRule::newest:
    return "newest";
  default:
    break;
  }
  if (is_within_bucket(rule)) {
    return fmt::format("{}{} within {} #{}", prefix, to_string(bucket_of(rule)), detail, ordinal);
  }
  return fmt::format("{}{} #{}", prefix, to_string(rule), ordinal);
}

std::string RetentionReason::restic_str() const {
  std::string prefix = oldest ? "oldest " : "";
  switch (rule) {
  case RetentionRule::tags:
    return "has tags " + detail;
  case RetentionRule::within:
    return "within " + detail;
  case RetentionRule::newest:
    return "newest";
  default:
    break;
  }
  if (is_within_bucket(rule)) {
    return fmt::format("{}{} within {}", prefix, to_string(bucket_of(rule)), detail);
  }
  return fmt::format("{}{} snapshot", prefix, to_string(rule));
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
  Civil c = civil_of(
      zone.to_local(std::chrono::floor<std::chrono::seconds>(t)).time_since_epoch().count());
  switch (bucket_of(rule)) {
  case RetentionRule::hourly:
    return fmt::format("{:04}-{:02}-{:02} {:02}h", c.date.year, c.date.month, c.date.day, c.hour);
  case RetentionRule::daily:
    return fmt::format("{:04}-{:02}-{:02}", c.date.year, c.date.month, c.date.day);
  case RetentionRule::weekly:
    return fmt::format("{:04}-W{:02}", c.iso_year, c.iso_week);
  case RetentionRule::monthly:
    return fmt::format("{:04}-{:02}", c.date.year, c.date.month);
  case RetentionRule::yearly:
    return fmt::format("{:04}", c.date.year);
  default:
    return "";
  }
}

// ---- the engine ----

namespace {

// reference - span: calendar years/months/days in the zone (Go's AddDate, day overflow
// carried into the next month), then the hours as elapsed time.
Instant subtract_span(Instant reference, const RetentionSpan& span, const TimeZone& zone) {
  std::int64_t local = zone.to_local(sys_seconds{std::chrono::seconds{reference.seconds}})
                           .time_since_epoch()
                           .count();
  std::int64_t day = floor_div(local, k_seconds_per_day);
  std::int64_t time_of_day = local - day * k_seconds_per_day;
  Date d = civil_from_days(day);
  std::int64_t months = d.year * 12 + (d.month - 1) - std::int64_t{span.years} * 12 - span.months;
  std::int64_t y = floor_div(months, 12);
  auto m = static_cast<unsigned>(months - y * 12 + 1);
  std::int64_t new_day = days_from_civil(y, m, 1) + (d.day - 1) - span.days;
  local_seconds new_local{std::chrono::seconds{new_day * k_seconds_per_day + time_of_day}};
  std::int64_t utc =
      zone.to_sys(new_local).time_since_epoch().count() - std::int64_t{span.hours} * 3600;
  return {utc, reference.nanos};
}

bool has_tags(const RetentionItem& item, const std::vector<std::string>& wanted) {
  for (const auto& tag : wanted) {
    if (tag.empty() && item.tags.empty()) {
      return true; // restic: "" matches an untagged item
    }
    if (std::find(item.tags.begin(), item.tags.end(), tag) == item.tags.end()) {
      return false;
    }
  }
  return true;
}

struct CountRule {
  RetentionRule rule;
  int count;
  std::optional<std::int64_t> bucket{}; // of the item this rule kept last
  int kept = 0;
};

struct WithinRule {
  RetentionRule rule;
  const RetentionSpan* span;
  std::optional<Instant> threshold{}; // unset: every item is within (no reference)
  std::optional<std::int64_t> bucket{};
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

  // The reference of the within rules: the newest item (before `now` when given).
  std::optional<Instant> reference;
  for (const auto& item : items) {
    if (!options.now || item.time < *options.now) {
      Instant i = instant_of(item.time);
      if (!reference || i > *reference) {
        reference = i;
      }
    }
  }
  auto threshold_of = [&](const RetentionSpan& span) -> std::optional<Instant> {
    if (!reference) {
      return std::nullopt;
    }
    return subtract_span(*reference, span, zone);
  };
  std::optional<Instant> within_threshold;
  if (!policy.within.zero()) {
    within_threshold = threshold_of(policy.within);
  }

  std::array<CountRule, 6> counts{{
      {RetentionRule::last, policy.last},
      {RetentionRule::hourly, policy.hourly},
      {RetentionRule::daily, policy.daily},
      {RetentionRule::weekly, policy.weekly},
      {RetentionRule::monthly, policy.monthly},
      {RetentionRule::yearly, policy.yearly},
  }};
  std::array<WithinRule, 5> withins{{
      {RetentionRule::within_hourly, &policy.within_hourly},
      {RetentionRule::within_daily, &policy.within_daily},
      {RetentionRule::within_weekly, &policy.within_weekly},
      {RetentionRule::within_monthly, &policy.within_monthly},
      {RetentionRule::within_yearly, &policy.within_yearly},
  }};
  for (auto& w : withins) {
    if (!w.span->zero()) {
      w.threshold = threshold_of(*w.span);
    }
  }

  std::vector<RetentionDecision> decisions;
  decisions.reserve(items.size());
  for (std::size_t nr = 0; nr < order.size(); ++nr) {
    const RetentionItem& item = items[order[nr]];
    const bool oldest_item = nr + 1 == order.size();
    const Instant at = instant_of(item.time);
    const Civil civil = civil_of(zone.to_local(std::chrono::floor<std::chrono::seconds>(item.time))
                                     .time_since_epoch()
                                     .count());
    RetentionDecision d{.index = order[nr], .id = item.id, .time = item.time};

    for (const auto& list : policy.keep_tags) {
      if (has_tags(item, list)) {
        d.reasons.push_back({.rule = RetentionRule::tags, .detail = tag_list_text(list)});
      }
    }
    if (!policy.within.zero() && (!within_threshold || at > *within_threshold)) {
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
    for (auto& w : withins) {
      if (w.span->zero() || (w.threshold && !(at > *w.threshold))) {
        continue;
      }
      std::int64_t value = bucket_value(w.rule, civil, nr);
      if (value != w.bucket || oldest_item) {
        bool oldest = value == w.bucket;
        w.bucket = value;
        d.reasons.push_back(
            {.rule = w.rule, .ordinal = ++w.kept, .oldest = oldest, .detail = w.span->str()});
      }
    }
    d.keep = !d.reasons.empty();
    d.counters = {counts[0].count, counts[1].count, counts[2].count,
                  counts[3].count, counts[4].count, counts[5].count};
    decisions.push_back(std::move(d));
  }

  if (options.keep_newest && !decisions.empty() && !decisions.front().keep) {
    decisions.front().keep = true;
    decisions.front().reasons.push_back({.rule = RetentionRule::newest});
  }
  return decisions;
}

} // namespace lifeboat::core
