#include "commands/backup.hpp"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/database.hpp"
#include "commands/list.hpp"
#include "commands/store.hpp"
#include "core/catalog.hpp"
#include "pipeline/threaded_sink.hpp"
#include "source/postgres/postgres.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

// zstd gets its own threads so compression never runs on the thread that reads the
// snapshot (DESIGN.md, Performance); two are enough to keep up with SQLite on 2 cores.
int compression_workers() {
  unsigned n = std::thread::hardware_concurrency();
  return n >= 2 ? 2 : 1;
}

// Backups of one name come from one database: a derived or typed name that already
// holds another source's backups would merge two histories (and let one's retention
// remove the other's backups).
void check_source(Context& ctx, const BackupOptions& options, const std::string& name,
                  const std::string& identity, const std::string& display) {
  auto entries = ctx.catalog().list(name);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const auto& m = it->manifest;
    if (m.source_id.empty() || m.reason == "import") {
      continue; // written before source ids, or an import (its source is a file)
    }
    if (m.source_id == identity) {
      return;
    }
    if (options.name_bound) {
      log::warning("database '{}' is now '{}'; its earlier backups are of '{}'", name, display,
                   m.source);
      return;
    }
    throw Error(ErrorKind::usage,
                fmt::format("backups named '{}' in '{}' are of '{}', not of '{}'", name,
                            ctx.storage.display_url(), m.source, display),
                "Pass --name with another name for this database, or, if it is the same "
                "database in a new place, bind the name to it with a [[database]] table "
                "(name and url) in the configuration.");
  }
}

} // namespace

core::Manifest take_backup(Context& ctx, const BackupOptions& options, JobScope* scope) {
  auto db = value_or_throw(parse_database_url(options.db), ErrorKind::usage);
  bool pg = db.kind == DatabaseUrl::Kind::postgres;
  std::optional<source::postgres::Connection> conn;
  if (pg) {
    conn = value_or_throw(source::postgres::parse_connection(db.url), ErrorKind::usage);
  }
  auto spec = value_or_throw(codec::parse_compress_spec(options.compress), ErrorKind::usage);
  if (options.format != "plain" && options.format != "custom") {
    throw Error(ErrorKind::usage,
                fmt::format("invalid format '{}': use plain or custom", options.format));
  }
  std::string name = options.name.empty() ? derived_name(db) : options.name;
  if (auto ok = core::check_name(name); !ok) {
    throw Error(ErrorKind::usage, ok.error());
  }
  if (!pg && !std::filesystem::exists(db.path)) {
    throw Error(ErrorKind::usage, fmt::format("database '{}' does not exist", db.path.string()),
                "Check the path given with --db or in the configuration.");
  }
  std::string payload = !pg ? "db" : options.format == "custom" ? "dump" : "sql";

  std::string identity = source_identity(db);
  check_source(ctx, options, name, identity, db.display());
  if (scope != nullptr) {
    scope->set_database(name);
  }

  core::Catalog& catalog = ctx.catalog();
  TimePoint started = ctx.clock.now();
  Stopwatch watch;
  auto reservation = catalog.reserve(name, started);
  const core::BackupId id = reservation->id();
  if (scope != nullptr) {
    scope->set_backup_id(id.str());
    scope->stage("snapshot");
  }

  core::Manifest m;
  m.id = id.str();
  m.name = name;
  m.kind = pg ? "postgres" : "sqlite";
  m.reason = options.reason;
  m.source = db.display();
  m.source_id = identity;
  m.tool_version = tool_version();
  m.host = host_name();
  m.started_at = started;

  std::error_code ec;
  auto db_size = pg ? 0 : std::filesystem::file_size(db.path, ec);
  if (pg) {
    ec = std::make_error_code(std::errc::not_supported); // size unknown: no ETA
  }

  // snapshot (reader thread) → queue → raw counter → compressor → [age] → sha256 → object
  StoreChain chain(ctx, id, payload, spec, m);
  log::debug("backing up '{}' to '{}' in '{}'", db.display(), m.data.key,
             ctx.storage.display_url());
  auto& pipe = chain.payload_stages();
  Progress progress(ctx.progress, "backup " + name, ec ? std::nullopt : std::optional(db_size));
  auto& raw = pipe.add<codec::ByteCounter>();
  // A plain dump is scanned as it streams; a custom one through the script pg_restore
  // makes of it, so that both record the same counts and roles.
  const source::postgres::DumpObserver* dump_info = nullptr;
  if (pg && options.format == "plain") {
    dump_info = &pipe.add<source::postgres::DumpObserver>();
  } else if (pg) {
    dump_info = &pipe.add<source::postgres::CustomDumpObserver>().script();
  }
  pipe.add<codec::ProgressObserver>([&](std::uint64_t n) { progress.update(n); });
  chain.seal(compression_workers());

  source::sqlite::DatabaseInfo info;
  {
    // This thread reads (the snapshot, or pg_dump's pipe); the chain runs on the queue's.
    pipeline::ThreadedSink queue(chain.sink());
    if (pg) {
      source::postgres::dump(*conn, queue,
                             {.format = options.format, .lock_wait_seconds = options.lock_wait_seconds});
    } else {
      info = source::sqlite::snapshot(db.path, queue,
                                      {.full_integrity_check = options.full_integrity_check});
    }
    queue.close();
  }
  chain.payload_stages().finish(); // observers report at finish: the trailer check needs it
  if (dump_info != nullptr && !dump_info->complete()) {
    throw Error(ErrorKind::integrity,
                fmt::format("the dump of '{}' ended without pg_dump's completion trailer",
                            db.display()));
  }
  chain.commit();
  progress.done();
  m.uncompressed_size = raw.count();
  if (pg) {
    m.server_version = "PostgreSQL " + dump_info->server_version() + "; pg_dump " +
                       dump_info->pg_dump_version();
    m.integrity_check = options.format == "plain" ? "dump trailer" : "pg_restore, dump trailer";
    m.tables = dump_info->tables();
    m.roles = role_use(dump_info->roles());
    try {
      m.database_settings = source::postgres::database_settings(*conn);
    } catch (const Error& e) {
      log::warning("the settings of database '{}' (ALTER DATABASE ... SET) were not recorded: {}",
                   db.display(), e.what());
    }
  } else {
    m.server_version = "sqlite " + info.sqlite_version;
    m.integrity_check = info.integrity_check;
    m.tables = info.tables;
  }
  if (!pg && m.uncompressed_size != info.size_bytes) {
    throw Error(ErrorKind::integrity,
                fmt::format("snapshot of '{}' has {} bytes, expected {} ({} pages of {})",
                            db.display(), m.uncompressed_size, info.size_bytes, info.page_count,
                            info.page_size));
  }

  m.finished_at = ctx.clock.now();
  m.duration_seconds = watch.seconds();
  if (scope != nullptr) {
    scope->stage("commit", {{"size", std::to_string(m.data.size)}});
  }
  commit_backup(ctx, catalog, m);
  return m;
}

namespace {

nlohmann::json backup_json(Context& ctx, const core::Manifest& m, bool pinned,
                           const std::optional<PruneReport>& pruned) {
  nlohmann::json j = backup_summary_json(m, pinned);
  j["storage"] = ctx.storage.display_url();
  if (pruned) {
    nlohmann::json removed = nlohmann::json::array();
    for (const auto& db : pruned->databases) {
      for (const auto& b : db.backups) {
        if (!b.keep) {
          removed.push_back(b.id);
        }
      }
    }
    j["prune"] = {{"removed", removed},
                  {"leftovers_removed", pruned->leftovers.size()},
                  {"bytes_freed", pruned->bytes_freed()}};
  }
  return j;
}

// One database: backup, pin, report, prune. Returns the JSON report.
nlohmann::json backup_one(Context& ctx, const BackupOptions& options, const BackupRequest& request,
                          JobScope& scope) {
  std::string label = options.name.empty() ? redact_url(options.db) : options.name;
  run_hook("pre_backup", options.hooks.pre_backup, label);
  core::Manifest m = take_backup(ctx, options, &scope);
  if (request.pin) {
    ctx.catalog().pin(m.id);
  }
  if (!ctx.json && !ctx.quiet) {
    double ratio = m.data.size > 0 ? static_cast<double>(m.uncompressed_size) /
                                         static_cast<double>(m.data.size)
                                   : 0;
    ctx.out << fmt::format("backup {} stored in {}{}\n  {} -> {} ({:.1f}x, {}{}), {} tables, {} "
                           "rows, {} passed, {}\n",
                           m.id, ctx.storage.display_url(), request.pin ? " (pinned)" : "",
                           format_bytes(m.uncompressed_size), format_bytes(m.data.size), ratio,
                           m.data.codec, m.data.encrypted ? ", encrypted" : "", m.tables.size(),
                           m.total_rows(), m.integrity_check, format_seconds(m.duration_seconds));
    ctx.out.flush();
  }
  run_hook("post_backup", options.hooks.post_backup, m.name, m.id);

  std::optional<PruneReport> pruned;
  if (request.prune_after) {
    PruneOptions prune_options = *request.prune_after;
    prune_options.name = m.name;
    prune_options.current_ids.insert(m.id); // never removed by its own command's prune
    scope.stage("prune");
    try {
      pruned = prune(ctx, prune_options);
    } catch (const Error& e) {
      throw Error(e.kind() == ErrorKind::config ? ErrorKind::config : ErrorKind::permanent,
                  fmt::format("backup {} was stored, but applying the retention policy failed: "
                              "{}",
                              m.id, e.what()),
                  e.hint().empty() ? "Run 'lifeboat prune --dry-run' to see what it would do."
                                   : e.hint());
    }
    if (!ctx.json && !ctx.quiet) {
      print_prune_report(ctx, *pruned, false);
    }
  }
  return backup_json(ctx, m, request.pin, pruned);
}

} // namespace

int run_backup(Context& ctx, const BackupRequest& request) {
  if (request.databases.empty()) {
    throw Error(ErrorKind::usage, "no database to back up",
                "Pass --db PATH, configure a [[database]], or set DATABASE_URL.");
  }
  bool several = request.databases.size() > 1;
  nlohmann::json reports = nlohmann::json::array();
  std::size_t failed = 0;
  for (const auto& options : request.databases) {
    nlohmann::json report;
    auto result = JobRunner::run(
        ctx.events,
        {.job = "backup", .database = options.name, .clock = &ctx.clock, .keep_going = several},
        [&](JobScope& scope) { report = backup_one(ctx, options, request, scope); });
    if (!result.ok) {
      ++failed;
      report = {{"name", options.name},
                {"error",
                 {{"kind", to_string(result.error->kind())},
                  {"message", result.error->what()},
                  {"hint", result.error->hint()}}}};
    }
    reports.push_back(std::move(report));
  }
  if (ctx.json) {
    if (several) {
      ctx.out << nlohmann::json{{"backups", reports}, {"failed", failed}}.dump(2) << "\n";
    } else {
      ctx.out << reports.front().dump(2) << "\n";
    }
  }
  ctx.out.flush();
  if (failed > 0) {
    throw PartialFailure(ErrorKind::permanent,
                         fmt::format("{} of {} databases could not be backed up", failed,
                                     request.databases.size()),
                         "The others were stored; the errors above say what went wrong.");
  }
  return 0;
}

} // namespace lifeboat::commands
