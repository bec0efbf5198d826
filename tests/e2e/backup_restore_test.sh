#!/usr/bin/env bash
# The main job: backup, list, verify, restore by every selector, safety backups,
# confirmation, ids that do not collide.
source "$(dirname "$0")/lib.sh"

make_db app.db 5000
run 0 lb backup --db app.db --to ./backups
contains "$OUT" "backup app-" "backup output"
id1=$(ls backups/app/*.manifest.json | head -1 | xargs basename | sed 's/.manifest.json//')
[[ $id1 =~ ^app-[0-9]{8}-[0-9]{6}$ ]] || fail "id '$id1' is not NAME-YYYYMMDD-HHMMSS"
[[ -f backups/app/$id1.db.zst && -f backups/app/$id1.sha256 ]] || fail "objects missing"
(cd backups/app && sha256sum -c "$id1.sha256" >/dev/null) || fail "sha256sum -c fails on the sidecar"
pass "backup writes data, sidecar and manifest"

# Two more backups at once: the same second must not collide.
run 0 lb backup --db app.db --to ./backups --json --no-prune
id2=$(json_field "$OUT" 'd["id"]')
run 0 lb backup --db app.db --to ./backups --json --no-prune
id3=$(json_field "$OUT" 'd["id"]')
[[ $id1 != "$id2" && $id2 != "$id3" && $id1 != "$id3" ]] || fail "ids collide: $id1 $id2 $id3"
pass "three backups in quick succession have distinct ids"

run 0 lb list --to ./backups
contains "$OUT" "$id1"; contains "$OUT" "$id3"; contains "$OUT" "3 backups"
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'len(d)') == 3 ]] || fail "list --json does not have 3 entries"
[[ $(json_field "$OUT" 'd[0]["rows"]') == 5100 ]] || fail "row count in list --json"
[[ $(json_field "$OUT" 'd[0]["id"]') == "$id1" ]] || fail "list is not oldest first"
pass "list shows the table and --json"

run 0 lb verify --backup-id "$id2" --to ./backups
contains "$OUT" "ok"
run 0 lb verify --all --deep --to ./backups --json
[[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "deep verify failed: $OUT"
pass "verify and verify --deep --all"

# Restore into a new file: no confirmation needed, no safety backup.
run 0 lb restore --latest --target restored.db --to ./backups
[[ $(sqlite3 restored.db 'select count(*) from orders') == 5000 ]] || fail "restored rows"
[[ $(sqlite3 restored.db 'pragma integrity_check') == ok ]] || fail "restored integrity"
pass "restore --latest into a new target"

# Restore over an existing database without a terminal and without --yes: refused, untouched.
sqlite3 app.db "insert into orders(customer_id, note) values (1, 'after backup')"
before=$(sha256sum app.db)
run 2 lb restore --backup-id "$id1" --to ./backups
contains "$ERR" "without confirmation"; contains "$ERR" "--yes"
[[ $(sha256sum app.db) == "$before" ]] || fail "target changed by a refused restore"
pass "restore over a live database without --yes is refused and changes nothing"

# With --yes: a safety backup first, then the restore; the safety backup is listed and marked.
run 0 lb restore --backup-id "$id1" --to ./backups --yes
contains "$OUT" "safety backup"
[[ $(sqlite3 app.db 'select count(*) from orders') == 5000 ]] || fail "restore did not replace content"
run 0 lb list --to ./backups --json
safety=$(json_field "$OUT" '[e["id"] for e in d if e["safety"]][0]')
[[ -n $safety ]] || fail "no safety backup listed"
run 0 lb list --to ./backups
contains "$OUT" "safety"
pass "restore --yes takes a listed safety backup first"

# --latest skips safety backups; --backup-id reaches them (undo).
run 0 lb restore --latest --target latest.db --to ./backups
contains "$OUT" "$id3"
run 0 lb restore --backup-id "$safety" --to ./backups --yes --no-safety-backup
[[ $(sqlite3 app.db 'select count(*) from orders') == 5001 ]] || fail "undo via safety backup"
pass "--latest skips safety backups and --backup-id restores one (undo)"

# --before picks the newest backup at or before a time.
t1=$(echo "$id1" | sed -E 's/^app-([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})([0-9]{2})$/\1-\2-\3T\4:\5:\6Z/')
run 0 lb restore --before "$t1" --target before.db --to ./backups
contains "$OUT" "$id1"
run 1 lb restore --before 2001-01-01 --target never.db --to ./backups
contains "$ERR" "no backup"
[[ ! -e never.db ]] || fail "a failed restore created its target"
pass "--before selects by time"

run 1 lb restore --backup-id app-20010101-000000 --target x.db --to ./backups
contains "$ERR" "does not exist"
run 2 lb restore --target x.db --to ./backups
contains "$ERR" "exactly one"
pass "unknown ids and missing selectors give clear errors"
