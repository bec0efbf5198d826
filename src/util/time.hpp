// util/time: clocks, and the time and duration formats of the command line.
//
// Times on the command line are ISO 8601 (docs/scripting.md): 2025-01-02T03:04:05Z,
// 2025-01-02T05:04:05+02:00, "2025-01-02 03:04:05", 2025-01-02 (no zone means UTC).
// Durations: 90s, 45m, 36h, 14d, 2w and combinations (1d12h).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace lifeboat {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

// Injected wherever "now" matters (backup ids, retention, health, cron).
class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

const Clock& system_clock();

// "2026-11-24T03:00:00Z" (seconds precision, UTC).
std::string format_iso8601(TimePoint t);
// "2026-11-24T03:00:00.123Z"
std::string format_iso8601_ms(TimePoint t);
// "20261124-030000"
std::string format_compact(TimePoint t);
// "2026-11-24 03:00:00" for tables.
std::string format_human(TimePoint t);

Result<TimePoint> parse_iso8601(std::string_view text);
Result<TimePoint> parse_compact(std::string_view text); // "20261124-030000"
Result<Seconds> parse_duration(std::string_view text);

// Monotonic stopwatch.
class Stopwatch {
public:
  Stopwatch() : m_start(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  }

private:
  std::chrono::steady_clock::time_point m_start;
};

} // namespace lifeboat
