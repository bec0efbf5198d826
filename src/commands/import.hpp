// commands/import: bring backup files made by other tools into the catalog, so a
// team moving from the seed document's scripts keeps its history.
//
// Accepted files (compression is recognised by content, .gz/.zst names must agree):
//   droplink-backup-YYYYMMDD-HHMMSS.db               SQLite     → name "droplink"
//   droplink-postgres-backup-YYYYMMDD-HHMMSS.sql.gz  pg_dump    → name "droplink-postgres"
//   NAME-YYYYMMDD-HHMMSS.{db,sql,dump}[.gz|.zst]     any of the three
//   anything else .db/.sqlite/.sqlite3/.sql/.dump    with --time (and --name)
// The time in a file name is UTC. Each file is decoded, checked like a fresh backup
// (SQLite: quick_check + row counts; plain dumps: pg_dump's trailer + COPY row
// counts; custom dumps: pg_restore reads the whole archive) and stored through the
// same chain as a backup (compression, encryption, checksums), with reason "import".
// A file whose backup id already exists is skipped, so an import can be re-run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/context.hpp"

namespace lifeboat::commands {

struct ImportOptions {
  std::vector<std::string> files;
  std::string name;                // default: from each file name
  std::optional<std::string> time; // ISO 8601; default: from each file name
  std::string compress = "zstd:3";
};

// Imports every file; a failing file is reported and the others go on. Throws
// Error{permanent} at the end when any file failed (exit 1); a single file's own error.
// With --json it returns 1 (2 for a single file's usage error) instead, so that its
// report stays the one JSON document on standard output.
int run_import(Context& ctx, const ImportOptions& options);

} // namespace lifeboat::commands
