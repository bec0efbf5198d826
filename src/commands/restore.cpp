#include "commands/restore.hpp"

#include <iostream>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/backup.hpp"
#include "commands/database.hpp"
#include "commands/fetch.hpp"
#include "commands/verify.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

bool target_has_content(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec) && std::filesystem::file_size(p, ec) > 0;
}

void confirm(Context& ctx, const core::Manifest& m, const std::filesystem::path& target,
             bool yes) {
  if (yes) {
    return;
  }
  if (!ctx.interactive) {
    throw Error(ErrorKind::usage,
                fmt::format("refusing to overwrite '{}' without confirmation: standard input is "
                            "not a terminal",
                            target.string()),
                "Pass --yes to restore without asking.");
  }
  std::cerr << fmt::format("This replaces the content of '{}' with backup {} ({} tables, {} "
                           "rows).\nType RESTORE to continue: ",
                           target.string(), m.id, m.tables.size(), m.total_rows());
  std::string answer;
  std::getline(std::cin, answer);
  if (trim(answer) != "RESTORE") {
    throw Error(ErrorKind::cancelled,
                fmt::format("restore of '{}' cancelled: confirmation not given", target.string()));
  }
}

} // namespace

int run_restore(Context& ctx, const RestoreOptions& options) {
  core::Catalog catalog(ctx.storage);
  core::CatalogEntry entry = select_backup(catalog, options.selector);
  const core::Manifest& m = entry.manifest;
  if (m.kind != "sqlite") {
    throw Error(ErrorKind::usage,
                fmt::format("restoring '{}' backups is not available in this version", m.kind));
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
  std::optional<std::string> safety_id;
  if (existing) {
    confirm(ctx, m, target, options.yes);
    if (!options.no_safety_backup) {
      log::info("taking a safety backup of '{}' ...", target.string());
      BackupOptions safety{.db = target.string(), .name = m.name, .reason = "safety"};
      safety_id = take_backup(ctx, safety).id;
      log::info("safety backup {} stored", *safety_id);
    }
  }

  // 3. Restore in one transaction, then check what is now in the target.
  source::sqlite::restore_into(image.path(), target);
  auto info = source::sqlite::inspect(target, false);
  std::vector<std::string> diffs;
  for (const auto& t : m.tables) {
    auto it = std::find_if(info.tables.begin(), info.tables.end(),
                           [&](const auto& f) { return f.name == t.name; });
    if (it == info.tables.end() || it->rows != t.rows) {
      diffs.push_back(t.name);
    }
  }
  if (!diffs.empty() || info.tables.size() != m.tables.size()) {
    throw Error(ErrorKind::integrity,
                fmt::format("restored database '{}' does not match backup '{}' (tables: {})",
                            target.string(), m.id, fmt::join(diffs, ", ")),
                safety_id ? fmt::format("Its previous content is in safety backup {}.", *safety_id)
                          : std::string());
  }

  if (ctx.json) {
    ctx.out << fmt::format(
        "{{\n  \"id\": {},\n  \"target\": {},\n  \"safety_backup\": {},\n  \"tables\": {},\n  "
        "\"rows\": {},\n  \"seconds\": {:.3f}\n}}\n",
        json_quote(m.id), json_quote(target.string()),
        safety_id ? json_quote(*safety_id) : "null", m.tables.size(), m.total_rows(),
        watch.seconds());
  } else if (!ctx.quiet) {
    ctx.out << fmt::format("restored {} into {}: {} tables, {} rows, verified, {}\n", m.id,
                           target.string(), m.tables.size(), m.total_rows(),
                           format_seconds(watch.seconds()));
    if (safety_id) {
      ctx.out << fmt::format("previous content saved as safety backup {} (undo: lifeboat restore "
                             "--backup-id {} --target {})\n",
                             *safety_id, *safety_id, target.string());
    }
  }
  return 0;
}

} // namespace lifeboat::commands
