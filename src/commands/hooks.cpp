#include "commands/hooks.hpp"

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/subprocess.hpp"

namespace lifeboat::commands {

void run_hook(const std::string& event, const std::string& command, const std::string& database,
              const std::string& backup_id) {
  if (command.empty()) {
    return;
  }
  log::debug("running {} hook of '{}'", event, database);
  Subprocess child({.argv = {"/bin/sh", "-c", command},
                    .env = {{"LIFEBOAT_EVENT", event},
                            {"LIFEBOAT_DATABASE", database},
                            {"LIFEBOAT_BACKUP_ID", backup_id}}});
  int status = child.wait();
  if (status != 0) {
    std::string out = child.stderr_text();
    bool pre = event.starts_with("pre_");
    throw Error(ErrorKind::permanent,
                fmt::format("{} hook of '{}' failed (exit {}){}{}", event, database, status,
                            out.empty() ? "" : ": ", out.substr(out.size() > 500 ? out.size() - 500 : 0)),
                pre ? "Nothing was done; fix the hook (see [database.hooks]) and run again."
                    : "The operation itself succeeded; only the hook after it failed.");
  }
}

} // namespace lifeboat::commands
