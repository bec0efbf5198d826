// util/tz: time zones of the system's tz database (IANA names such as "Europe/Berlin").
//
// A TimeZone turns an instant into the local wall-clock time of a zone and back, for
// anything that works on a calendar: retention buckets, calendar spans, and (later) cron
// schedules. It knows nothing of backups. It never reads or changes $TZ or the process's
// local zone and never reads the clock; after locate() it does no IO.
//
// Built on H. Hinnant's date/tz.h (Debian libhowardhinnant-date-dev, the library that became
// C++20's <chrono> time zones; libstdc++ 12 has no std::chrono::locate_zone yet), which
// reads the zic-compiled files under /usr/share/zoneinfo. date 3.0.1 uses only a file's
// transition table; for instants after its last transition (2037 in Debian's files) this
// module applies the file's POSIX TZ footer (RFC 8536 section 3.3), as glibc does.
//
// Resolving a local time that a DST change skips or repeats (to_sys) follows Go's
// time.Date, which restic's calendar arithmetic uses: the offset in effect at the wall
// time read as UTC is tried first; when the instant it gives lies outside that offset's
// period, the offset in effect at that instant wins. East of Greenwich a skipped time moves
// forward and a repeated one takes its second occurrence, west of it the other way round:
// Berlin 2024-03-31 02:30 (skipped) -> 01:30 UTC = 03:30 CEST, Berlin 2024-10-27 02:30
// (repeated) -> 01:30 UTC, CET; New York 2024-03-10 02:30 (skipped) -> 06:30 UTC = 01:30
// EST, New York 2024-11-03 01:30 (repeated) -> 05:30 UTC, EDT.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat {

// One zone; immutable, cheap to copy, safe to use from several threads at once (so is
// locate()). Default-constructed: UTC.
class TimeZone {
public:
  TimeZone();

  // An IANA name ("Europe/Berlin", "America/New_York", links such as "US/Eastern" too);
  // "" and "UTC" give UTC without touching the tz database. Errors: "unknown time zone
  // 'Mars/Base': no such zone in '/usr/share/zoneinfo'", or why the database or the zone's
  // file could not be used.
  static Result<TimeZone> locate(std::string_view name);
  // Every name locate() accepts besides "" (sorted); empty when there is no tz database.
  static std::vector<std::string> names();

  // The name given to locate(); "UTC" for the default zone.
  const std::string& name() const { return m_name; }
  // Offset from UTC (east positive) in effect at t.
  Seconds offset(std::chrono::sys_seconds t) const;
  // The local wall-clock time of t.
  std::chrono::local_seconds to_local(std::chrono::sys_seconds t) const;
  // The instant of a local wall-clock time; times in a DST gap or overlap resolve like
  // Go's time.Date (see above). Every local time gives an instant; nothing throws.
  std::chrono::sys_seconds to_sys(std::chrono::local_seconds local) const;

  struct Rules; // the zone's data (tz.cpp)

private:
  std::string m_name;
  std::shared_ptr<const Rules> m_rules; // null: UTC
};

} // namespace lifeboat
