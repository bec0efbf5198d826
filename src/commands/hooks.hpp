// commands/hooks: shell commands around backups and restores ([database.hooks]).
//
// A failing pre_* hook stops the operation before anything is touched; a failing
// post_* hook is an error of the command (exit 1) after the operation itself is done.
// Hooks get LIFEBOAT_EVENT, LIFEBOAT_DATABASE and LIFEBOAT_BACKUP_ID in their environment.
#pragma once

#include <string>

namespace lifeboat::commands {

struct Hooks {
  std::string pre_backup, post_backup, pre_restore, post_restore;
};

// Runs `command` with /bin/sh -c when it is not empty. Throws Error{permanent}
// naming the hook, its exit status and the end of its output when it fails.
void run_hook(const std::string& event, const std::string& command, const std::string& database,
              const std::string& backup_id = {});

} // namespace lifeboat::commands
