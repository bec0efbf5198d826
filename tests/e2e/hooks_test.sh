#!/usr/bin/env bash
# Hooks from the config: pre hooks run first and stop the operation when they fail;
# post hooks run after, and their failure is reported with exit 1.
source "$(dirname "$0")/lib.sh"

make_db app.db 200
cat > lifeboat.toml <<'TOML'
[storage]
url = "./backups"
[[database]]
name = "app"
url = "app.db"
  [database.hooks]
  pre_backup = "echo pre_backup $LIFEBOAT_DATABASE >> hooks.log"
  post_backup = "echo post_backup $LIFEBOAT_BACKUP_ID >> hooks.log"
  pre_restore = "echo maintenance on >> hooks.log"
  post_restore = "echo maintenance off $LIFEBOAT_BACKUP_ID >> hooks.log"
TOML
run 0 lb backup --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(cat hooks.log) == "pre_backup app"$'\n'"post_backup $id" ]] || fail "backup hooks: $(cat hooks.log)"
rm hooks.log
run 0 lb restore --latest --yes
[[ $(head -1 hooks.log) == "maintenance on" && $(tail -1 hooks.log) == "maintenance off $id" ]] \
  || fail "restore hooks: $(cat hooks.log)"
pass "pre/post hooks run around backup and restore with the documented environment"

sed -i 's|^  pre_backup = .*|  pre_backup = "echo app is busy >\&2; exit 3"|' lifeboat.toml
n=$(ls backups/app/*.manifest.json | wc -l)
run 1 lb backup
contains "$ERR" "pre_backup hook of 'app' failed (exit 3): app is busy"
[[ $(ls backups/app/*.manifest.json | wc -l) == "$n" ]] || fail "a backup was taken despite the failing pre hook"
sed -i 's|^  pre_backup = .*|  pre_backup = ""|; s|^  post_backup = .*|  post_backup = "exit 4"|' lifeboat.toml
run 1 lb backup
contains "$ERR" "post_backup hook of 'app' failed (exit 4)"
[[ $(ls backups/app/*.manifest.json | wc -l) == $((n + 1)) ]] || fail "the backup before a failing post hook is missing"
pass "a failing pre hook stops the backup; a failing post hook fails the command after it"
