#include "commands/restore.hpp"

#include <iostream>
#include <set>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

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

// Backups up to this size are proven whole (checksum, decoding, trailer, row counts)
// before the question is asked: one extra read of at most this much. Larger ones are
// proven by checksum first and by trailer and row counts while they load, before psql
// may commit.
constexpr std::uint64_t k_prove_first_bytes = 64ull << 20;

std::string target_of(const RestoreOptions& options, const core::Manifest& m) {
  if (options.target) {
    return *options.target;
  }
  if (m.source.find("***") == std::string::npos) {
    return m.source;
  }
  if (auto it = options.configured_urls.find(m.name); it != options.configured_urls.end()) {
    return it->second;
  }
  if (options.database_url) {
    return *options.database_url;
  }
  throw Error(ErrorKind::usage,
              fmt::format("no target for PostgreSQL backup '{}': its source '{}' has no password",
                          m.id, m.source),
              "Pass --target postgres://..., configure the database, or set DATABASE_URL.");
}

// Refuses before anything is touched when the backup names roles the target's server
// lacks: the load would fail half way (and roll back) at the first of them.
void check_roles(const RestoreOptions& options, const core::Manifest& m,
                 const source::postgres::TargetState& state, const std::string& target) {
  if (!m.roles) {
    return; // written before roles were recorded: the load itself is the check
  }
  std::set<std::string> have(state.roles.begin(), state.roles.end());
  std::set<std::string> missing, policy_missing;
  auto need = [&](const std::vector<std::string>& roles, std::set<std::string>& into) {
    for (const auto& r : roles) {
      if (!have.contains(r)) {
        into.insert(r);
      }
    }
  };
  if (!options.no_owner) {
    need(m.roles->owners, missing);
  }
  if (!options.no_privileges) {
    need(m.roles->privileges, missing);
  }
  need(m.roles->policies, policy_missing);
  if (missing.empty() && policy_missing.empty()) {
    return;
  }
  std::vector<std::string> names;
  for (const auto& r : missing) {
    names.push_back(source::postgres::quote_ident(r));
  }
  for (const auto& r : policy_missing) {
    names.push_back(source::postgres::quote_ident(r) + " (a row-level security policy)");
  }
  throw Error(ErrorKind::usage,
              fmt::format("backup '{}' names roles that the server of '{}' does not have: {}; "
                          "nothing was changed",
                          m.id, target, join(names, ", ")),
              policy_missing.empty()
                  ? "Create them (CREATE ROLE ...), or pass --no-owner --no-privileges to "
                    "restore without owners and privileges."
                  : "Create them (CREATE ROLE ...): policies need their roles even with "
                    "--no-owner --no-privileges.");
}

struct PostgresResult {
  std::vector<std::string> replaced_schemas; // dropped before the load
  std::vector<std::string> removed_tables;   // in the target before, not in the backup
  int terminated = 0;
  std::uint64_t statements_left_out = 0;
  std::string proven_before_question; // "checksum" or "checksum, trailer, row counts"
};

int restore_postgres(Context& ctx, const RestoreOptions& options, const core::Manifest& m) {
  namespace pg = source::postgres;
  auto target_url = value_or_throw(parse_database_url(target_of(options, m)), ErrorKind::usage);
  if (target_url.kind != DatabaseUrl::Kind::postgres) {
    throw Error(ErrorKind::usage, fmt::format("cannot restore PostgreSQL backup '{}' into '{}'",
                                              m.id, target_url.display()));
  }
  auto target = value_or_throw(pg::parse_connection(target_url.url), ErrorKind::usage);
  Stopwatch watch;
  PostgresResult result;
  // 1. Prove the stored object before touching anything: whole when that is cheap,
  //    else its checksum (the trailer and row counts are then proven as it streams into
  //    the target, before the transaction may commit, step 3).
  log::info("verifying backup {} ...", m.id);
  Phases phases;
  Stopwatch phase;
  if (m.data.size <= k_prove_first_bytes) {
    deep_check(ctx, m, {}, false);
    result.proven_before_question = "checksum, trailer, row counts";
  } else {
    verify_checksum(ctx, m);
    result.proven_before_question = "checksum";
  }
  phases.verify = phase.seconds();

  // 2. What the target holds, and whether the backup can load there at all.
  pg::TargetState state = pg::inspect_target(target);
  check_roles(options, m, state, target.display);
  bool empty_target = pg::is_empty(target);

  // 3. Ask, then keep what is there now.
  Hooks hooks = hooks_for(options, m.name);
  std::optional<std::string> safety_id;
  if (!empty_target) {
    confirm(ctx, m, target.display, options.yes);
  }
  run_hook("pre_restore", hooks.pre_restore, m.name, m.id);
  if (!empty_target && !options.no_safety_backup) {
    log::info("taking a safety backup of '{}' ...", target.display);
    Stopwatch sw;
    BackupOptions safety = safety_options(options, m, target_url);
    safety.lock_wait_seconds = options.lock_timeout_seconds;
    safety_id = take_backup(ctx, safety).id;
    phases.safety_backup = sw.seconds();
    log::info("safety backup {} stored", *safety_id);
  }
  if (options.terminate_connections) {
    result.terminated = pg::terminate_connections(target);
    log::info("ended {} other session(s) of '{}'", result.terminated, target.display);
  }
  Stopwatch load_watch;

  // 4. One transaction: empty the target, load, give the database its settings. psql
  //    sees the end of its input, and commits, only after the stream passed every check.
  core::Inventory loaded = m.tables;
  {
    pg::Loader loader(target);
    std::string prologue = empty_target
                               ? fmt::format("SET lock_timeout = '{}s';\n", options.lock_timeout_seconds)
                               : pg::replace_prologue(state, options.lock_timeout_seconds);
    loader.write(pipeline::as_bytes(prologue));
    pg::ScriptFilter filter(loader, {.no_owner = options.no_owner, .no_privileges = options.no_privileges});
    pipeline::Pipeline check(filter);
    auto& dump = check.add<pg::DumpObserver>();
    if (m.data.payload == "dump") {
      pg::CustomToScript script(check);
      stream_payload(ctx, m, script);
      script.finish();
    } else {
      stream_payload(ctx, m, check);
    }
    check.finish();
    filter.finish();
    result.statements_left_out = filter.removed();
    bool counted = m.data.payload == "sql" || m.integrity_check.find("dump trailer") != std::string::npos;
    if (counted && !dump.complete()) {
      throw Error(ErrorKind::integrity,
                  fmt::format("dump of backup '{}' is incomplete: pg_dump's trailer is missing; "
                              "it was rolled back, nothing was changed",
                              m.id));
    }
    if (auto diffs = core::compare_with_manifest(m, dump.tables()); counted && !diffs.empty()) {
      throw Error(ErrorKind::integrity,
                  fmt::format("dump of backup '{}' does not match its manifest: {}; it was rolled "
                              "back, nothing was changed",
                              m.id, core::describe(diffs)));
    }
    // The dump's own inventory: its names are exact even where an old manifest's were not.
    loaded = dump.tables();
    if (m.database_settings) {
      loader.write(pipeline::as_bytes(pg::settings_epilogue(state, *m.database_settings)));
    }
    loader.finish();
  }
  phases.load = load_watch.seconds();
  if (!empty_target) {
    result.replaced_schemas = state.schemas;
    for (const auto& t : state.tables) {
      if (loaded.find(t.schema, t.table) == nullptr) {
        result.removed_tables.push_back(core::quote_name(t.schema, t.table));
      }
    }
  }

  // 5. Committed. Every table of the backup must hold the rows it held at backup time.
  Stopwatch validate_watch;
  if (auto diffs = core::compare(loaded, pg::count_rows(target, loaded)); !diffs.empty()) {
    throw Error(ErrorKind::integrity,
                fmt::format("the restore into '{}' was committed (the target now holds backup "
                            "'{}'), but its tables do not hold the backup's rows: {}",
                            target.display, m.id, core::describe(diffs)),
                safety_id ? fmt::format("Undo it with: lifeboat restore --backup-id {} --target "
                                        "... (its previous content).",
                                        *safety_id)
                          : std::string("No safety backup was taken."));
  }
  phases.validate = validate_watch.seconds();
  if (ctx.json) {
    nlohmann::json j = {{"id", m.id},
                        {"target", target.display},
                        {"committed", true},
                        {"safety_backup", safety_id ? nlohmann::json(*safety_id) : nlohmann::json()},
                        {"tables", loaded.size()},
                        {"rows", loaded.total_rows()},
                        {"replaced_schemas", result.replaced_schemas},
                        {"removed_tables", result.removed_tables},
                        {"owners", !options.no_owner},
                        {"privileges", !options.no_privileges},
                        {"statements_left_out", result.statements_left_out},
                        {"sessions_terminated", result.terminated},
                        {"proven_before_confirmation", result.proven_before_question},
                        {"seconds", watch.seconds()},
                        {"phases",
                         {{"verify", phases.verify},
                          {"safety_backup", phases.safety_backup},
                          {"load", phases.load},
                          {"validate", phases.validate}}}};
    ctx.out << j.dump(2) << "\n";
  } else if (!ctx.quiet) {
    ctx.out << fmt::format("restored {} into {}: {} tables, {} rows, verified, {}\n", m.id,
                           target.display, loaded.size(), loaded.total_rows(),
                           format_seconds(watch.seconds()));
    if (!result.replaced_schemas.empty()) {
      ctx.out << fmt::format("replaced what the target held: schemas {} were dropped first{}\n",
                             join(result.replaced_schemas, ", "),
                             result.removed_tables.empty()
                                 ? std::string()
                                 : "; gone, as the backup does not have them: " +
                                       join(result.removed_tables, ", "));
    }
    if (options.no_owner || options.no_privileges) {
      ctx.out << fmt::format("left out {} statement(s): {}\n", result.statements_left_out,
                             options.no_owner && options.no_privileges ? "owners and privileges"
                             : options.no_owner                        ? "owners"
                                                                       : "privileges");
    }
    if (safety_id) {
      ctx.out << fmt::format("previous content saved as safety backup {} (undo: lifeboat restore "
                             "--backup-id {} --target ...)\n",
                             *safety_id, *safety_id);
    }
  }
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
