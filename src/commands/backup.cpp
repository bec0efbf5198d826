#include "commands/backup.hpp"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/database.hpp"
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

// First free id at or after `t`: two backups in the same second get consecutive ids.
// The id is reserved with an object created only if absent ("NAME/ID.reserved"), so
// two backups running at once cannot both pick it: the data object itself stays
// under a temporary name until its commit and would not show the id as taken.
core::BackupId allocate_id(Context& ctx, core::Catalog& catalog, const std::string& name,
                           TimePoint t) {
  core::BackupId id{name, std::chrono::floor<std::chrono::seconds>(t)};
  for (int i = 0; i < 120; ++i, id.time += std::chrono::seconds(1)) {
    if (catalog.id_taken(id)) {
      continue;
    }
    try {
      ctx.storage.write_all(id.object_prefix() + "reserved", "", {.overwrite = false});
      return id;
    } catch (const Error&) {
      if (!ctx.storage.stat(id.object_prefix() + "reserved")) {
        throw; // not a lost race: the storage failed
      }
    }
  }
  throw Error(ErrorKind::transient,
              fmt::format("no free backup id for '{}' near {}", name, format_iso8601(t)));
}

// Removes the reservation when the backup is committed or abandoned.
class Reservation {
public:
  Reservation(storage::Storage& storage, const core::BackupId& id)
      : m_storage(storage), m_key(id.object_prefix() + "reserved") {}
  ~Reservation() {
    try {
      m_storage.remove(m_key);
    } catch (...) {
      // A leftover reservation is removed by a later prune (after a day).
    }
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

private:
  storage::Storage& m_storage;
  std::string m_key;
};

} // namespace

core::Manifest take_backup(Context& ctx, const BackupOptions& options) {
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
  std::string name = options.name;
  if (name.empty()) {
    name = pg ? core::default_name_for_path(conn->dbname.empty() ? "postgres" : conn->dbname)
              : core::default_name_for_path(db.path.string());
  }
  if (auto ok = core::check_name(name); !ok) {
    throw Error(ErrorKind::usage, ok.error());
  }
  if (!pg && !std::filesystem::exists(db.path)) {
    throw Error(ErrorKind::usage, fmt::format("database '{}' does not exist", db.path.string()),
                "Check the path given with --db or in the configuration.");
  }
  std::string payload = !pg ? "db" : options.format == "custom" ? "dump" : "sql";

  core::Catalog catalog(ctx.storage);
  TimePoint started = ctx.clock.now();
  Stopwatch watch;
  core::BackupId id = allocate_id(ctx, catalog, name, started);
  Reservation reservation(ctx.storage, id);

  core::Manifest m;
  m.id = id.str();
  m.name = name;
  m.kind = pg ? "postgres" : "sqlite";
  m.reason = options.reason;
  m.source = db.display();
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
  // Only plain PostgreSQL dumps are text worth scanning for COPY blocks.
  source::postgres::DumpObserver* dump_info =
      pg && options.format == "plain" ? &pipe.add<source::postgres::DumpObserver>() : nullptr;
  pipe.add<codec::ProgressObserver>([&](std::uint64_t n) { progress.update(n); });
  chain.seal(compression_workers());

  source::sqlite::DatabaseInfo info;
  {
    // This thread reads (the snapshot, or pg_dump's pipe); the chain runs on the queue's.
    pipeline::ThreadedSink queue(chain.sink());
    if (pg) {
      source::postgres::dump(*conn, queue, {.format = options.format});
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
    m.server_version = dump_info == nullptr ? "PostgreSQL"
                                            : "PostgreSQL " + dump_info->server_version() +
                                                  "; pg_dump " + dump_info->pg_dump_version();
    m.integrity_check = options.format == "plain" ? "dump trailer" : "";
    // A custom-format dump is binary: its COPY data is not countable in the stream.
    if (dump_info != nullptr) {
      m.tables = dump_info->tables();
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
  commit_backup(ctx, catalog, m);
  return m;
}

int run_backup(Context& ctx, const BackupOptions& options,
               std::optional<PruneOptions> prune_after) {
  std::string label = options.name.empty() ? options.db : options.name;
  run_hook("pre_backup", options.hooks.pre_backup, label);
  core::Manifest m = take_backup(ctx, options);
  if (!ctx.json && !ctx.quiet) {
    double ratio = m.data.size > 0 ? static_cast<double>(m.uncompressed_size) /
                                         static_cast<double>(m.data.size)
                                   : 0;
    ctx.out << fmt::format("backup {} stored in {}\n  {} -> {} ({:.1f}x, {}{}), {} tables, {} "
                           "rows, {} passed, {}\n",
                           m.id, ctx.storage.display_url(), format_bytes(m.uncompressed_size),
                           format_bytes(m.data.size), ratio, m.data.codec,
                           m.data.encrypted ? ", encrypted" : "", m.tables.size(),
                           m.total_rows(), m.integrity_check, format_seconds(m.duration_seconds));
    ctx.out.flush();
  }
  run_hook("post_backup", options.hooks.post_backup, m.name, m.id);

  std::optional<PruneReport> pruned;
  if (prune_after) {
    prune_after->name = m.name;
    try {
      pruned = prune(ctx, *prune_after);
    } catch (const Error& e) {
      throw Error(e.kind() == ErrorKind::config ? ErrorKind::config : ErrorKind::permanent,
                  fmt::format("backup {} was stored, but applying the retention policy failed: "
                              "{}",
                              m.id, e.what()),
                  e.hint().empty() ? "Run 'lifeboat prune --dry-run' to see what it would do."
                                   : e.hint());
    }
  }
  if (ctx.json) {
    nlohmann::json j = {{"id", m.id},
                        {"name", m.name},
                        {"kind", m.kind},
                        {"key", m.data.key},
                        {"size", m.data.size},
                        {"uncompressed_size", m.uncompressed_size},
                        {"sha256", m.data.sha256},
                        {"encrypted", m.data.encrypted},
                        {"tables", m.tables.size()},
                        {"rows", m.total_rows()},
                        {"duration_seconds", m.duration_seconds},
                        {"storage", ctx.storage.display_url()}};
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
    ctx.out << j.dump(2) << "\n";
  } else if (!ctx.quiet && pruned) {
    print_prune_report(ctx, *pruned, false);
  }
  ctx.out.flush();
  return 0;
}

} // namespace lifeboat::commands
