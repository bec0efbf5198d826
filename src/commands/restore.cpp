#include "commands/restore.hpp"

#include <iostream>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/backup.hpp"
#include "commands/database.hpp"
#include "commands/fetch.hpp"
#include "commands/verify.hpp"
#include "pipeline/pipeline.hpp"
#include "source/postgres/postgres.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

bool target_has_content(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec) && std::filesystem::file_size(p, ec) > 0;
}

void confirm(Context& ctx, const core::Manifest& m, const std::string& target, bool yes) {
  if (yes) {
    return;
  }
  if (!ctx.interactive) {
    throw Error(ErrorKind::usage,
                fmt::format("refusing to overwrite '{}' without confirmation: standard input is "
                            "not a terminal",
                            target),
                "Pass --yes to restore without asking.");
  }
  std::cerr << fmt::format("This replaces the content of '{}' with backup {} ({} tables, {} "
                           "rows).\nType RESTORE to continue: ",
                           target, m.id, m.tables.size(), m.total_rows());
  std::string answer;
  std::getline(std::cin, answer);
  if (trim(answer) != "RESTORE") {
    throw Error(ErrorKind::cancelled,
                fmt::format("restore of '{}' cancelled: confirmation not given", target));
  }
}

Hooks hooks_for(const RestoreOptions& options, const std::string& name) {
  auto it = options.configured_hooks.find(name);
  return it == options.configured_hooks.end() ? Hooks{} : it->second;
}

// The name a safety backup of `target` is filed under: it belongs to the database it
// copies (DESIGN.md, Retention), never to the backup being restored. The backup's own
// source keeps the backup's name; a configured database keeps its configured name;
// anything else gets the name derived from the target itself.
BackupOptions safety_options(const RestoreOptions& options, const core::Manifest& m,
                             const DatabaseUrl& target) {
  BackupOptions safety{.db = target.kind == DatabaseUrl::Kind::sqlite ? target.path.string()
                                                                      : target.url,
                       .reason = "safety"};
  std::string identity = source_identity(target);
  if (identity == m.source_id) {
    safety.name = m.name;
    safety.name_bound = true;
    return safety;
  }
  for (const auto& [name, url] : options.configured_urls) {
    auto configured = parse_database_url(url);
    if (configured && source_identity(*configured) == identity) {
      safety.name = name;
      safety.name_bound = true;
      return safety;
    }
  }
  safety.name = derived_name(target);
  return safety;
}

// Seconds spent in each phase, reported on their own (DESIGN.md, Performance).
struct Phases {
  double verify = 0, safety_backup = 0, load = 0, validate = 0;
};

void report(Context& ctx, const core::Manifest& m, const std::string& target,
            const std::optional<std::string>& safety_id, double seconds, const Phases& p = {}) {
  if (ctx.json) {
    ctx.out << fmt::format(
        "{{\n  \"id\": {},\n  \"target\": {},\n  \"safety_backup\": {},\n  \"tables\": {},\n  "
        "\"rows\": {},\n  \"seconds\": {:.3f},\n  \"phases\": {{\"verify\": {:.3f}, "
        "\"safety_backup\": {:.3f}, \"load\": {:.3f}, \"validate\": {:.3f}}}\n}}\n",
        json_quote(m.id), json_quote(target), safety_id ? json_quote(*safety_id) : "null",
        m.tables.size(), m.total_rows(), seconds, p.verify, p.safety_backup, p.load, p.validate);
  } else if (!ctx.quiet) {
    ctx.out << fmt::format("restored {} into {}: {} tables, {} rows, verified, {}\n", m.id, target,
                           m.tables.size(), m.total_rows(), format_seconds(seconds));
    if (safety_id) {
      ctx.out << fmt::format("previous content saved as safety backup {} (undo: lifeboat restore "
                             "--backup-id {} --target ...)\n",
                             *safety_id, *safety_id);
    }
  }
}

int restore_postgres(Context& ctx, const RestoreOptions& options, const core::Manifest& m) {
  namespace pg = source::postgres;
  std::string target_text;
  if (options.target) {
    target_text = *options.target;
  } else if (m.source.find("***") == std::string::npos) {
    target_text = m.source;
  } else if (auto it = options.configured_urls.find(m.name); it != options.configured_urls.end()) {
    target_text = it->second;
  } else if (options.database_url) {
    target_text = *options.database_url;
  } else {
    throw Error(ErrorKind::usage,
                fmt::format("no target for PostgreSQL backup '{}': its source '{}' has no password",
                            m.id, m.source),
                "Pass --target postgres://..., configure the database, or set DATABASE_URL.");
  }
  auto target_url = value_or_throw(parse_database_url(target_text), ErrorKind::usage);
  if (target_url.kind != DatabaseUrl::Kind::postgres) {
    throw Error(ErrorKind::usage, fmt::format("cannot restore PostgreSQL backup '{}' into '{}'",
                                              m.id, target_url.display()));
  }
  auto target = value_or_throw(pg::parse_connection(target_url.url), ErrorKind::usage);
  Stopwatch watch;
  // 1. Prove the stored object before touching anything: its checksum (one read of
  //    the compressed bytes). The dump's completeness and row counts are checked as it
  //    streams into the target, before the transaction commits (step 3), which spares
  //    a second decompression of the whole dump.
  log::info("verifying backup {} ...", m.id);
  Phases phases;
  Stopwatch phase;
  verify_checksum(ctx, m);
  phases.verify = phase.seconds();

  // 2. Ask, then keep what is there now.
  Hooks hooks = hooks_for(options, m.name);
  std::optional<std::string> safety_id;
  bool empty_target = pg::is_empty(target);
  if (!empty_target) {
    confirm(ctx, m, target.display, options.yes);
  }
  run_hook("pre_restore", hooks.pre_restore, m.name, m.id);
  if (!empty_target) {
    if (!options.no_safety_backup) {
      log::info("taking a safety backup of '{}' ...", target.display);
      Stopwatch sw;
      safety_id = take_backup(ctx, safety_options(options, m, target_url)).id;
      phases.safety_backup = sw.seconds();
      log::info("safety backup {} stored", *safety_id);
    }
  }
  Stopwatch load_watch;

  // 3. Load in one transaction; the checksum is checked again on the way, and psql
  //    commits only after the whole stream has passed it.
  // What the load must leave in the target: the dump's own inventory once it matched
  // the manifest (its names are exact even where an old manifest's were not), else the
  // manifest's (a custom-format dump records none).
  core::Inventory loaded = m.tables;
  {
    pg::Loader loader(target, m.data.payload);
    pipeline::Pipeline check(loader);
    auto& dump = check.add<pg::DumpObserver>();
    stream_payload(ctx, m, check);
    check.finish();
    if (m.data.payload == "sql") {
      if (!dump.complete()) {
        throw Error(ErrorKind::integrity,
                    fmt::format("dump of backup '{}' is incomplete: pg_dump's trailer is missing; "
                                "nothing was changed",
                                m.id));
      }
      if (auto diffs = core::compare_with_manifest(m, dump.tables()); !diffs.empty()) {
        throw Error(ErrorKind::integrity,
                    fmt::format("dump of backup '{}' does not match its manifest: {}; nothing was "
                                "changed",
                                m.id, core::describe(diffs)));
      }
      loaded = dump.tables();
    }
    // (A custom-format dump is proven by pg_restore reading all of it in the load.)
    // Only now, with checksum, trailer and rows proven, does psql see end of input
    // and commit; every failure above destroys the loader, which rolls back.
    loader.finish();
  }
  phases.load = load_watch.seconds();

  // 4. Every table of the manifest must hold the rows it held at backup time.
  Stopwatch validate_watch;
  // Other tables of the target are not the backup's business: only these are counted.
  if (auto diffs = core::compare(loaded, pg::count_rows(target, loaded)); !diffs.empty()) {
    throw Error(ErrorKind::integrity,
                fmt::format("restored database '{}' does not match backup '{}': {}", target.display,
                            m.id, core::describe(diffs)),
                safety_id ? fmt::format("Its previous content is in safety backup {}.", *safety_id)
                          : std::string());
  }
  phases.validate = validate_watch.seconds();
  report(ctx, m, target.display, safety_id, watch.seconds(), phases);
  ctx.out.flush();
  run_hook("post_restore", hooks.post_restore, m.name, m.id);
  return 0;
}

} // namespace

int run_restore(Context& ctx, const RestoreOptions& options) {
  core::CatalogEntry entry = select_backup(ctx.catalog(), options.selector);
  const core::Manifest& m = entry.manifest;
  if (m.kind == "postgres") {
    return restore_postgres(ctx, options, m);
  }
  auto target_url =
      value_or_throw(parse_database_url(options.target.value_or(m.source)), ErrorKind::usage);
  if (target_url.kind != DatabaseUrl::Kind::sqlite) {
    throw Error(ErrorKind::usage,
                fmt::format("cannot restore SQLite backup '{}' into '{}'", m.id,
                            target_url.display()));
  }
  const std::filesystem::path target = target_url.path;
  if (!std::filesystem::is_directory(target.parent_path())) {
    throw Error(ErrorKind::not_found,
                fmt::format("directory '{}' of restore target does not exist",
                            target.parent_path().string()));
  }
  Stopwatch watch;

  // 1. Prove the backup before touching anything: checksum, decode, integrity, counts.
  TempPath image(target, "restore");
  log::info("verifying backup {} ...", m.id);
  deep_check(ctx, m, image.path(), options.full_integrity_check);

  // 2. Ask, then keep what is there now.
  bool existing = target_has_content(target);
  Hooks hooks = hooks_for(options, m.name);
  std::optional<std::string> safety_id;
  if (existing) {
    confirm(ctx, m, target.string(), options.yes);
  }
  run_hook("pre_restore", hooks.pre_restore, m.name, m.id);
  if (existing) {
    if (!options.no_safety_backup) {
      log::info("taking a safety backup of '{}' ...", target.string());
      safety_id = take_backup(ctx, safety_options(options, m, target_url)).id;
      log::info("safety backup {} stored", *safety_id);
    }
  }

  // 3. Restore in one transaction, then check what is now in the target.
  source::sqlite::restore_into(image.path(), target);
  auto info = source::sqlite::inspect(target, false);
  if (auto diffs = core::compare_with_manifest(m, info.tables); !diffs.empty()) {
    throw Error(ErrorKind::integrity,
                fmt::format("restored database '{}' does not match backup '{}': {}",
                            target.string(), m.id, core::describe(diffs)),
                safety_id ? fmt::format("Its previous content is in safety backup {}.", *safety_id)
                          : std::string());
  }

  report(ctx, m, target.string(), safety_id, watch.seconds());
  ctx.out.flush();
  run_hook("post_restore", hooks.post_restore, m.name, m.id);
  return 0;
}

} // namespace lifeboat::commands
