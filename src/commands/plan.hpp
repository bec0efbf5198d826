// commands/plan: what the configuration (and the flags over it) asks each command to do:
// which databases a backup takes, with which names, codecs and hooks; the retention
// policy of each name; the encryption; where a restore goes. app/ calls it for the
// command line, and the daemon and drills call the same functions, so a database is
// backed up the same way whoever starts the job.
//
// Reads only the loaded Config and the values passed in; never the environment, never
// the storage.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/backup.hpp"
#include "commands/encryption.hpp"
#include "commands/prune.hpp"
#include "commands/restore.hpp"
#include "config/config.hpp"

namespace lifeboat::commands {

// The backup flags of the command line; empty means "not given".
struct BackupFlags {
  std::string db;       // --db
  std::string name;     // --name: the name of --db, or which configured database
  std::string compress; // --compress, over the database's own
  std::string format;   // --format, over the database's own
  bool full_integrity_check = false;
};

// One BackupOptions per database to back up:
//  * --db: that database; its name is --name, else the name of the [[database]] with the
//    same source, else derived from it;
//  * else the configured databases: all of them, or the one named by --name (Error{usage}
//    when none has that name);
//  * else `database_url` (DATABASE_URL); Error{usage} when there is none either.
std::vector<BackupOptions> backup_jobs(const config::Config& cfg, const BackupFlags& flags,
                                       const std::optional<std::string>& database_url);

// The retention policy of every configured name, and the default ([retention]).
// Throws Error{config} naming the key of a bad value.
PruneOptions retention_plan(const config::Config& cfg);

// [encryption], then --encrypt-to (replaces the recipients) and --identity.
// `passphrase_env` is $LIFEBOAT_PASSPHRASE, used when nothing else is configured.
EncryptionConfig encryption_plan(const config::Config& cfg,
                                 const std::vector<std::string>& encrypt_to,
                                 const std::string& identity,
                                 const std::optional<std::string>& passphrase_env);

// Where restores may go: the configured databases' URLs and hooks, and DATABASE_URL.
void restore_plan(const config::Config& cfg, const std::optional<std::string>& database_url,
                  RestoreOptions& options);

} // namespace lifeboat::commands
