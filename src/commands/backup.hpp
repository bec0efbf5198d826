// commands/backup: take one backup of one database into the storage.
//
// Order (docs/format.md): data object (atomic put), then its .sha256 line, then the
// manifest, the commit point. Any failure before the manifest leaves at most
// leftovers that nothing lists; existing backups are never touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "commands/context.hpp"
#include "commands/hooks.hpp"
#include "commands/prune.hpp"
#include "core/manifest.hpp"

namespace lifeboat::commands {

struct BackupOptions {
  std::string db;                 // path or URL (see commands/database.hpp)
  std::string name;               // default: derived from the file name
  // The name comes from a [[database]] table, which binds it to this database: when the
  // source's identity changed (a host moved), the backup is taken with a warning. Any
  // other name must keep to the source its backups came from (else Error{usage}).
  bool name_bound = false;
  std::string compress = "zstd:3";
  std::string format = "plain";   // PostgreSQL: plain (.sql) or custom (.dump)
  std::string reason = "manual";  // "safety" for the backup taken before a restore
  bool full_integrity_check = false;
  int lock_wait_seconds = 30;     // PostgreSQL: [postgres] lock_timeout
  Hooks hooks; // pre_backup / post_backup run by run_backup (not by safety backups)
};

// Takes the backup and returns its committed manifest. Throws Error. Stages go to
// `scope` when given.
core::Manifest take_backup(Context& ctx, const BackupOptions& options, JobScope* scope = nullptr);

struct BackupRequest {
  std::vector<BackupOptions> databases; // one job each, in this order
  std::optional<PruneOptions> prune_after; // none: --no-prune
  bool pin = false;                     // --pin: retention never removes the new backups
};

// The `backup` command: for each database, a job (commands/job) that takes the backup,
// pins it when asked, reports it (text or --json), and applies the retention policy to
// that database, never removing the backup it just stored. With several databases a
// failure of one is reported and the others are still taken; the command then throws
// PartialFailure (exit 1). A prune that fails after the backup was stored is an error
// (exit 1) that says so.
int run_backup(Context& ctx, const BackupRequest& request);

} // namespace lifeboat::commands
