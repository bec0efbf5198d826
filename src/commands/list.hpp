// commands/list: the backups in a storage, as a table or --json (docs/scripting.md),
// and the pins that keep some of them.
#pragma once

#include <optional>
#include <string>

#include "commands/context.hpp"

namespace lifeboat::commands {

int run_list(Context& ctx, const std::optional<std::string>& name);

// `lifeboat pin ID` / `unpin ID`: a pinned backup is never removed by retention until
// it is unpinned (the marker object NAME/ID.pinned, docs/format.md). Idempotent.
int run_pin(Context& ctx, const std::string& id, bool pin);

} // namespace lifeboat::commands
