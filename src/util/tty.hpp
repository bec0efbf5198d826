// util/tty: reading a secret from the terminal without echoing it.
#pragma once

#include <optional>
#include <string_view>

#include "util/secret.hpp"

namespace lifeboat {

// Prints `prompt` on /dev/tty and reads one line with echo off. Returns nothing
// when there is no terminal (cron, CI, a pipe): callers then say what to set.
std::optional<Secret> read_secret_from_tty(std::string_view prompt);

} // namespace lifeboat
