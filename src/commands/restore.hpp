// commands/restore: put a backup back into a database, proving it first.
//
// Order: checksum and decode into a temporary file next to the target (nothing
// touched yet) → integrity check and row counts of that file against the manifest →
// confirmation (typed RESTORE on a terminal, --yes otherwise) → safety backup of the
// existing target → restore through the Online Backup API (one transaction: open
// readers see old or new, never a mix) → checks of the result.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "commands/context.hpp"
#include "commands/hooks.hpp"
#include "commands/selector.hpp"

namespace lifeboat::commands {

struct RestoreOptions {
  Selector selector;
  std::optional<std::string> target; // default: the backup's source database
  bool yes = false;
  bool no_safety_backup = false;
  bool full_integrity_check = false;
  // PostgreSQL: leave out object owners (ALTER ... OWNER TO) and privileges (GRANT,
  // REVOKE, default privileges), for a server without the backup's roles.
  bool no_owner = false;
  bool no_privileges = false;
  // PostgreSQL: end the target database's other sessions before loading.
  bool terminate_connections = false;
  int lock_timeout_seconds = 30; // [postgres] lock_timeout
  // Where a PostgreSQL backup goes without --target: the URL of the configured
  // database of the backup's name, else DATABASE_URL (a manifest holds only the
  // redacted source).
  std::map<std::string, std::string> configured_urls;
  std::optional<std::string> database_url;
  // Hooks of the configured databases, by name.
  std::map<std::string, Hooks> configured_hooks;
};

int run_restore(Context& ctx, const RestoreOptions& options);

} // namespace lifeboat::commands
