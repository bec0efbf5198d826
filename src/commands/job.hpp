// commands/job: the one job runner between app/ and the commands, and the events it
// emits (docs/ARCHITECTURE.md, "Jobs and events").
//
// A job is one command applied to one database (backup of "app", prune of "app", a
// restore into "staging", the import of one file). The runner times it, catches its
// error, and emits structured events into the context's EventSink: started, stage (the
// command's own milestones), finished, failed. The CLI prints them; run history, alerts,
// the daemon and /metrics subscribe to the same events, so no command records its own
// history or decides its own exit code. The runner never prints and never exits.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat::commands {

struct Event {
  enum class Type { started, stage, finished, failed };
  Type type = Type::started;
  std::string job;      // "backup", "prune", "restore", "verify", "import", ...
  std::string database; // the database name the job is about ("" when none yet)
  std::string stage;    // Type::stage: "snapshot", "commit", "safety_backup", "load", ...
  TimePoint time{};
  double seconds = 0;                // finished / failed: since started; stage: since started
  std::string backup_id;             // the backup the job made or used, when known
  std::map<std::string, std::string> details; // small facts: "size" -> "1234", ...
  std::optional<ErrorKind> error_kind; // failed
  std::string message, hint;           // failed: the error; stage: optional note
  bool continues = false; // failed: the command goes on with other jobs (and reports this one)
};

std::string_view to_string(Event::Type type);

// Receives every event of a command, on the thread that runs the job.
class EventSink {
public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

// Fans events out to several sinks, in the order they were added.
class EventBus final : public EventSink {
public:
  void add(EventSink& sink) { m_sinks.push_back(&sink); }
  void on_event(const Event& event) override;

private:
  std::vector<EventSink*> m_sinks;
};

// What a running job tells the runner.
class JobScope {
public:
  JobScope(EventSink* sink, Event base);
  // Emits a stage event ("snapshot", "commit", ...).
  void stage(const std::string& name, std::map<std::string, std::string> details = {});
  void set_backup_id(const std::string& id) { m_base.backup_id = id; }
  void set_database(const std::string& name) { m_base.database = name; }
  void detail(const std::string& key, const std::string& value) { m_base.details[key] = value; }
  double seconds() const { return m_watch.seconds(); }

private:
  friend class JobRunner;
  EventSink* m_sink;
  Event m_base;
  Stopwatch m_watch;
};

struct JobResult {
  bool ok = true;
  double seconds = 0;
  std::string backup_id;
  std::optional<Error> error;
};

struct JobOptions {
  std::string job;
  std::string database;
  const Clock* clock = nullptr; // default: the system clock
  // false: a failure is rethrown after its event (a single job: main reports it).
  // true: a failure is returned in the JobResult and its event says `continues`.
  bool keep_going = false;
};

class JobRunner {
public:
  // Runs `work`, emitting started, then finished or failed. Cancellation is always
  // rethrown, also with keep_going: a stopped run makes no further changes.
  static JobResult run(EventSink* sink, const JobOptions& options,
                       const std::function<void(JobScope&)>& work);
};

} // namespace lifeboat::commands
