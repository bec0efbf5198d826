// commands/prune: apply the retention policy to the catalog, and clear leftovers.
//
// Each database name is its own history with its own policy (core/retention.hpp has
// the semantics). The order of every removal makes a kill at any point harmless:
// the manifest goes first, so the backup stops existing at once (docs/format.md),
// then its checksum and data, which a killed prune leaves behind as leftovers.
//
// Why a prune running next to a backup of the same database cannot lose the new
// backup (no lock is needed, and none would hold on object storage):
//  1. prune removes only backups whose manifests it listed and judged; a backup
//     that commits later was never judged, and the newest listed one is always kept;
//  2. pinned backups and the backup the running command just stored are kept whatever
//     the policy says;
//  3. objects without a manifest (a backup still writing, or a failed run) are
//     removed only when older than `leftover_age` (a day), longer than any backup runs.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "config/config.hpp"
#include "core/retention.hpp"

namespace lifeboat::commands {

struct PruneOptions {
  bool dry_run = false;
  std::optional<std::string> name; // only this database
  // Policy of each database name; names not in the map use default_policy.
  std::map<std::string, core::RetentionPolicy> policies;
  core::RetentionPolicy default_policy = core::RetentionPolicy::defaults();
  // From --keep-* flags: replaces every configured policy as a whole.
  std::optional<core::RetentionPolicy> override_policy;
  // Backups this command just stored: kept whatever the policy says ("just stored").
  std::set<std::string> current_ids;
  bool remove_leftovers = true;
  Seconds leftover_age = std::chrono::hours(24);
};

struct PruneBackup {
  std::string id;
  TimePoint time{};
  bool keep = false;
  std::vector<std::string> reasons; // "daily #3", "weekly #1"
  std::uint64_t bytes = 0; // every object of the backup
  bool safety = false;
  bool pinned = false;
};

struct PruneDatabase {
  std::string name;
  std::string policy; // describe()
  std::vector<PruneBackup> backups; // newest first
  std::size_t removed = 0;
  std::uint64_t bytes_freed = 0;
};

// An object without a manifest, or the remains of a killed write.
using PruneLeftover = storage::ObjectInfo;

struct PruneReport {
  bool dry_run = false;
  std::vector<PruneDatabase> databases;
  std::vector<PruneLeftover> leftovers; // removed (or would be)
  std::size_t removed() const;
  std::uint64_t bytes_freed() const;
};

// The policy of a [retention] table; `fallback` ([retention] when `r` is a database's
// own table) gives the time zone when `r` names none. Throws Error{config} naming the
// key for a keep_within that is not whole hours or a negative count.
core::RetentionPolicy retention_from_config(const config::Retention& r,
                                            const config::Retention* fallback = nullptr);

// Throws Error{config} for a policy that is invalid or keeps nothing, naming the
// database (none: the [retention] defaults or the --keep-* flags).
void check_policy(const core::RetentionPolicy& policy, const std::string& name);
// check_policy for every policy of `options`: run before a backup, so a bad policy
// stops it before anything is stored rather than after.
void check_policies(const PruneOptions& options);

// Decides and (unless dry_run) removes. Throws Error{config} for a policy that would
// keep nothing, before anything is removed.
PruneReport prune(Context& ctx, const PruneOptions& options);

// The `prune` command: prune() and its report, as a table or --json.
int run_prune(Context& ctx, const PruneOptions& options);

// The text report (also printed after a backup).
void print_prune_report(Context& ctx, const PruneReport& report, bool list_kept);

} // namespace lifeboat::commands
