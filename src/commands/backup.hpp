// commands/backup: take one backup of one database into the storage.
//
// Order (docs/format.md): data object (atomic put), then its .sha256 line, then the
// manifest, the commit point. Any failure before the manifest leaves at most
// leftovers that nothing lists; existing backups are never touched.
#pragma once

#include <optional>
#include <string>

#include "codec/codec.hpp"
#include "commands/context.hpp"
#include "commands/hooks.hpp"
#include "commands/prune.hpp"
#include "core/manifest.hpp"

namespace lifeboat::commands {

struct BackupOptions {
  std::string db;                 // path or URL (see commands/database.hpp)
  std::string name;               // default: derived from the file name
  std::string compress = "zstd:3";
  std::string format = "plain";   // PostgreSQL: plain (.sql) or custom (.dump)
  std::string reason = "manual";  // "safety" for the backup taken before a restore
  bool full_integrity_check = false;
  Hooks hooks; // pre_backup / post_backup run by run_backup (not by safety backups)
};

// Takes the backup and returns its committed manifest. Throws Error.
core::Manifest take_backup(Context& ctx, const BackupOptions& options);

// The `backup` command: take_backup plus the report (text or --json), then the
// retention policy applied to that database (unless prune_after is empty). A prune
// that fails after the backup was stored is an error (exit 1) that says so.
int run_backup(Context& ctx, const BackupOptions& options,
               std::optional<PruneOptions> prune_after = std::nullopt);

} // namespace lifeboat::commands
