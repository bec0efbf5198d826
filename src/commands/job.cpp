#include "commands/job.hpp"

namespace lifeboat::commands {

std::string_view to_string(Event::Type type) {
  switch (type) {
  case Event::Type::started:
    return "started";
  case Event::Type::stage:
    return "stage";
  case Event::Type::finished:
    return "finished";
  case Event::Type::failed:
    return "failed";
  }
  return "unknown";
}

void EventBus::on_event(const Event& event) {
  for (auto* s : m_sinks) {
    s->on_event(event);
  }
}

JobScope::JobScope(EventSink* sink, Event base) : m_sink(sink), m_base(std::move(base)) {}

void JobScope::stage(const std::string& name, std::map<std::string, std::string> details) {
  if (m_sink == nullptr) {
    return;
  }
  Event e = m_base;
  e.type = Event::Type::stage;
  e.stage = name;
  e.time = std::chrono::system_clock::now();
  e.seconds = m_watch.seconds();
  for (auto& [k, v] : details) {
    e.details[k] = std::move(v);
  }
  m_sink->on_event(e);
}

JobResult JobRunner::run(EventSink* sink, const JobOptions& options,
                         const std::function<void(JobScope&)>& work) {
  const Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
  Event base;
  base.job = options.job;
  base.database = options.database;
  JobScope scope(sink, base);
  auto emit = [&](Event::Type type, const Error* error) {
    if (sink == nullptr) {
      return;
    }
    Event e = scope.m_base;
    e.type = type;
    e.time = clock.now();
    e.seconds = scope.seconds();
    if (error != nullptr) {
      e.error_kind = error->kind();
      e.message = error->what();
      e.hint = error->hint();
      e.continues = options.keep_going && error->kind() != ErrorKind::cancelled;
    }
    sink->on_event(e);
  };
  emit(Event::Type::started, nullptr);
  JobResult result;
  try {
    work(scope);
  } catch (const Error& e) {
    emit(Event::Type::failed, &e);
    if (!options.keep_going || e.kind() == ErrorKind::cancelled) {
      throw;
    }
    result.ok = false;
    result.error = e;
  } catch (const std::exception& e) {
    Error wrapped(ErrorKind::permanent, std::string("unexpected failure: ") + e.what(),
                  "This may be a bug in lifeboat; run again with --verbose and report it.");
    emit(Event::Type::failed, &wrapped);
    if (!options.keep_going) {
      throw;
    }
    result.ok = false;
    result.error = wrapped;
  }
  result.seconds = scope.seconds();
  result.backup_id = scope.m_base.backup_id;
  if (result.ok) {
    emit(Event::Type::finished, nullptr);
  }
  return result;
}

} // namespace lifeboat::commands
