// commands/list: the backups in a storage, as a table or --json (docs/scripting.md).
#pragma once

#include <optional>
#include <string>

#include "commands/context.hpp"

namespace lifeboat::commands {

int run_list(Context& ctx, const std::optional<std::string>& name);

} // namespace lifeboat::commands
