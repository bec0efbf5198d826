#include "util/time.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace lifeboat {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

namespace {

std::tm to_tm(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

// Parses exactly n digits at s[pos]; advances pos.
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

constexpr int k_min_year = 1900;
constexpr int k_max_year = 2200;

Result<TimePoint> from_fields(int y, int mo, int d, int h, int mi, int sec, long offset_s,
                              std::string_view text) {
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) {
    return unexpected(fmt::format("invalid date or time '{}'", text));
  }
  // A TimePoint counts nanoseconds in 64 bits: years 1678 to 2261. Found by the fuzzer:
  // a manifest or an id dated 2826 overflowed it (undefined behaviour).
  if (y < k_min_year || y > k_max_year) {
    return unexpected(fmt::format("time '{}' is outside the years {} to {}", text, k_min_year,
                                  k_max_year));
  }
  auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} - seconds{offset_s};
  return time_point_cast<system_clock::duration>(tp);
}

} // namespace

std::string format_iso8601(TimePoint t) {
  std::tm tm = to_tm(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_iso8601_ms(TimePoint t) {
  std::tm tm = to_tm(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() %
            1000;
  if (ms < 0) {
    ms += 1000;
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string format_compact(TimePoint t) {
  std::tm tm = to_tm(t);
  return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_human(TimePoint t) {
  std::tm tm = to_tm(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Result<TimePoint> parse_iso8601(std::string_view text) {
  std::string_view s = text;
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  auto bad = [&] {
    return unexpected(fmt::format(
        "invalid time '{}': expected ISO 8601 such as 2025-01-02T03:04:05Z or 2025-01-02", text));
  };
  if (!digits(s, pos, 4, y) || !expect(s, pos, '-') || !digits(s, pos, 2, mo) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, d)) {
    return bad();
  }
  long offset = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') {
      return bad();
    }
    ++pos;
    if (!digits(s, pos, 2, h) || !expect(s, pos, ':') || !digits(s, pos, 2, mi)) {
      return bad();
    }
    if (expect(s, pos, ':')) {
      if (!digits(s, pos, 2, sec)) {
        return bad();
      }
      if (expect(s, pos, '.')) { // fractional seconds are accepted and dropped
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
          ++pos;
        }
      }
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!digits(s, pos, 2, oh)) {
          return bad();
        }
        expect(s, pos, ':');
        if (!digits(s, pos, 2, om)) {
          return bad();
        }
        offset = sign * (oh * 3600L + om * 60L);
      } else {
        return bad();
      }
    }
    if (pos != s.size()) {
      return bad();
    }
  }
  return from_fields(y, mo, d, h, mi, sec, offset, text);
}

Result<TimePoint> parse_compact(std::string_view s) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, pos, 4, y) || !digits(s, pos, 2, mo) || !digits(s, pos, 2, d) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, h) || !digits(s, pos, 2, mi) ||
      !digits(s, pos, 2, sec) || pos != s.size()) {
    return unexpected(fmt::format("invalid timestamp '{}': expected YYYYMMDD-HHMMSS", s));
  }
  auto t = from_fields(y, mo, d, h, mi, sec, 0, s);
  // An id's timestamp has one spelling: no leap second "60" that means the next minute.
  if (t && sec > 59) {
    return unexpected(fmt::format("invalid timestamp '{}': seconds run from 00 to 59", s));
  }
  return t;
}

Result<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) {
    return unexpected(std::string("empty duration"));
  }
  long long total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    long long n = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      n = n * 10 + (text[pos] - '0');
      if (n > 1000000000LL) {
        return unexpected(fmt::format("duration '{}' is too large", text));
      }
      ++pos;
    }
    if (pos == start || pos == text.size()) {
      return unexpected(fmt::format(
          "invalid duration '{}': expected a number and a unit (s, m, h, d, w), e.g. 36h or 1d12h",
          text));
    }
    long long unit = 0;
    switch (text[pos]) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    default:
      return unexpected(fmt::format(
          "invalid duration '{}': unknown unit '{}' (use s, m, h, d or w)", text, text[pos]));
    }
    ++pos;
    total += n * unit;
  }
  return Seconds{total};
}

} // namespace lifeboat
