#!/usr/bin/env bash
# On a terminal, restoring over an existing database asks for the word RESTORE:
# anything else cancels and changes nothing. `script` gives lifeboat a real pty.
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script (util-linux) is not installed"

make_db app.db 500
run 0 lb backup --db app.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
sqlite3 app.db "delete from orders"
before=$(sha256sum app.db)

on_tty() { # on_tty ANSWER CMD...: runs CMD on a pty, typing ANSWER
  local answer=$1; shift
  printf '%s\n' "$answer" | script -qec "$(printf '%q ' "$@")" /dev/null > tty.out 2>&1
}

on_tty "no" "$LIFEBOAT" restore --backup-id "$id" --to ./backups
rc=$?
[[ $rc == 1 ]] || fail "a declined restore exited $rc: $(cat tty.out)"
grep -q "Type RESTORE to continue" tty.out || fail "no prompt: $(cat tty.out)"
grep -q "cancelled" tty.out || fail "no cancel message: $(cat tty.out)"
[[ $(sha256sum app.db) == "$before" ]] || fail "a declined restore changed the target"
pass "answering anything but RESTORE cancels and changes nothing"

on_tty "RESTORE" "$LIFEBOAT" restore --backup-id "$id" --to ./backups
rc=$?
[[ $rc == 0 ]] || fail "a confirmed restore exited $rc: $(cat tty.out)"
[[ $(sqlite3 app.db 'select count(*) from orders') == 500 ]] || fail "not restored"
grep -q "safety backup" tty.out || fail "no safety backup reported"
pass "typing RESTORE on a terminal restores after a safety backup"

# Progress: drawn on standard error when it is a terminal, never into a pipe or file.
sqlite3 app.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
                INSERT INTO orders(customer_id, note, data) SELECT 1, 'x', randomblob(200) FROM n;"
on_tty "" "$LIFEBOAT" backup --db app.db --to ./backups
grep -q "MiB/s" tty.out || fail "no progress on a terminal: $(cat -v tty.out)"
run 0 lb backup --db app.db --to ./backups
not_contains "$ERR" "/s" "stderr of a piped backup"
pass "progress appears on a terminal only"
