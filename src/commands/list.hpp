// commands/list: the backups in a storage, as a table or --json (docs/scripting.md),
// and the pins that keep some of them.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.hpp"
#include "core/manifest.hpp"

namespace lifeboat::commands {

int run_list(Context& ctx, const std::optional<std::string>& name);

// The fields every JSON report of a backup shares (`list`, `backup`; docs/scripting.md):
// id, name, kind, key, size, uncompressed_size, sha256, encrypted, pinned, tables, rows,
// duration_seconds. Reports add their own fields to it.
nlohmann::json backup_summary_json(const core::Manifest& m, bool pinned);

// `lifeboat pin ID` / `unpin ID`: a pinned backup is never removed by retention until
// it is unpinned (the marker object NAME/ID.pinned, docs/format.md). Idempotent.
int run_pin(Context& ctx, const std::string& id, bool pin);

// `lifeboat url --backup-id ID --expires 1h`: a time-limited download URL of the backup's
// data object, where the storage can sign one (S3); exit 2 where it cannot.
int run_url(Context& ctx, const std::string& id, const std::string& expires);

} // namespace lifeboat::commands
