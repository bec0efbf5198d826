// core/history: the run history kept with the backups (docs/format.md, "Run history").
//
// Every run of a job (backup, prune, verify, restore, drill, import, health) for one
// database appends one record, so that `health` on any machine that reads the storage
// sees the same past. Object storage cannot append to an object, so a record is an
// object of its own, created only if absent under a name no other run can choose:
//
//     lifeboat-history/NAME/records/YYYYMMDDTHHMMSSZ-RRRRRRRR.json   (R: 8 random hex)
//
// Two runs at once write two objects: nothing to lose, no lock. A killed run leaves
// either no object or a whole one (writers commit atomically). A record that cannot be
// parsed is a problem of the view, never a failure of the reader.
//
// Bounded: records older than `keep_records` (35 days) are compacted into one summary
// per UTC day, `lifeboat-history/NAME/days/YYYY-MM-DD.json`, created only if absent;
// the summary lists the records it absorbed, and only those are then removed. A second
// compactor that loses the race removes only what the existing summary covers; a record
// no summary covers stays a record. Summaries older than `keep_days` (400) are removed.
// So a record is never counted twice nor lost before its day's summary exists.
//
// The name "-" holds runs that had no database (a command that failed before it knew
// one). The layout never collides with a backup: backups are NAME/ID.* (one slash).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.hpp"
#include "util/time.hpp"

namespace lifeboat::core {

inline constexpr std::string_view k_history_prefix = "lifeboat-history/";

struct RunRecord {
  std::string run; // the object's stem "20261203T030000Z-1a2b3c4d"; set by append()
  std::string job;      // backup, prune, verify, restore, drill, import, health
  std::string database; // "" (stored under "-") when the run never knew one
  TimePoint started{}, finished{};
  double seconds = 0;
  bool ok = true;
  std::string backup_id;                       // the backup made or used, if any
  std::string error_kind, message, hint;       // failed runs
  std::map<std::string, std::string> details;  // job facts: size, uncompressed_size,
                                               // status, stage seconds ("seconds.load")...
  std::string host, tool_version;
};

// One UTC day of one database's runs, per job.
struct JobDay {
  std::int64_t runs = 0, failures = 0;
  std::optional<TimePoint> first, last, last_ok, last_failure;
  // Failed runs after the day's last successful one (all runs when none succeeded):
  // "failures in a row" continues across days through this.
  std::int64_t trailing_failures = 0;
  double max_seconds = 0, total_seconds = 0;
  std::string last_message; // the last failure's message
  std::map<std::string, std::string> last_details; // the day's last run's details
};

struct DaySummary {
  std::string database;
  std::string date; // "2026-12-03" (UTC)
  std::map<std::string, JobDay> jobs;
  std::vector<std::string> covers; // record stems absorbed
};

struct HistoryView {
  std::vector<RunRecord> records; // oldest first (by finished, then run)
  std::vector<DaySummary> days;   // oldest first, for days no longer held as records
  std::vector<std::string> problems; // objects that could not be read, with why
};

struct HistoryLimits {
  Seconds keep_records = std::chrono::hours(24 * 35);
  Seconds keep_days = std::chrono::hours(24 * 400);
  std::uint64_t max_object_size = 1024 * 1024; // larger objects are problems, unread
};

class History {
public:
  History(storage::Storage& storage, const Clock& clock, HistoryLimits limits = {});

  // Appends one record (fills record.run); never overwrites. Throws on storage failure
  // (the subscriber turns that into a warning: history never fails the job).
  void append(RunRecord& record);
  // The runs of one database ("" = the runs without one).
  HistoryView read(const std::string& database);
  // Databases with history.
  std::vector<std::string> databases();
  // Compacts records older than keep_records into day summaries and removes day
  // summaries older than keep_days. Safe to run from several processes at once.
  // Returns the number of records absorbed.
  std::size_t compact(const std::string& database);

private:
  storage::Storage& m_storage;
  const Clock& m_clock;
  HistoryLimits m_limits;
};

// The record's JSON (docs/format.md) and back; parse is strict and bounded.
std::string to_json(const RunRecord& record);
Result<RunRecord> parse_run_record(std::string_view text);
std::string to_json(const DaySummary& summary);
Result<DaySummary> parse_day_summary(std::string_view text);

// Folds records into per-day summaries (UTC), as compact() does; health uses the same.
std::vector<DaySummary> summarize(const std::string& database,
                                  const std::vector<RunRecord>& records);

} // namespace lifeboat::core
