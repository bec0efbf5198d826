#!/usr/bin/env bash
# kill -9 in the middle of a backup leaves no listed backup, never touches the
# existing ones, and the next run works.
source "$(dirname "$0")/lib.sh"

make_db big.db 20000
run 0 lb backup --db big.db --to ./backups --json
first=$(json_field "$OUT" 'd["id"]')
# Grow the database so a backup takes long enough to be interrupted.
sqlite3 big.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
                INSERT INTO orders(customer_id, note, data) SELECT 1 + i % 100, hex(randomblob(64)), randomblob(400) FROM n;"
before=$(cd backups && find . -type f | sort | xargs sha256sum)

for delay in 0.05 0.2 0.5; do
  "$LIFEBOAT" backup --db big.db --to ./backups --compress zstd:19 >/dev/null 2>&1 &
  pid=$!
  sleep $delay
  kill -9 $pid 2>/dev/null || fail "the backup ended before kill -9 at ${delay}s"
  wait $pid 2>/dev/null
  run 0 lb list --to ./backups --json
  [[ $(json_field "$OUT" 'len(d)') == 1 ]] || fail "after kill -9 at ${delay}s the list has: $OUT"
  now=$(cd backups && find . -type f -name '*.manifest.json' | sort)
  [[ $now == "./big/$first.manifest.json" ]] || fail "manifests after kill: $now"
done
# The backup that existed is intact.
for f in $(cd backups && find . -type f -name "$first*"); do
  grep -qF "$f" <<<"$before" || fail "missing $f"
done
run 0 lb verify --backup-id "$first" --deep --to ./backups
pass "kill -9 during backups leaves only the complete backup listed and intact"

# The killed runs left hidden temporary files and id reservations, never listed; a prune
# removes them once they are a day old (younger ones may belong to a running backup).
[[ -n $(find backups -name '.*.tmp-*') ]] || fail "kill -9 left no temporary file to clean"
run 0 lb prune --to ./backups --json
[[ -n $(find backups -name '.*.tmp-*') ]] || fail "prune removed a young temporary file"
find backups -type f -exec touch -d '2 days ago' {} +
run 0 lb prune --to ./backups --json
contains "$OUT" '.tmp-' "prune reports the abandoned temporary files"
[[ -z $(find backups -name '.*.tmp-*' -o -name '*.reserved') ]] || fail "left after prune: $(find backups -name '.*.tmp-*' -o -name '*.reserved')"
run 0 lb verify --backup-id "$first" --deep --to ./backups
pass "prune removes what killed backups left, once it is a day old"

run 0 lb backup --db big.db --to ./backups --json
run 0 lb verify --latest --deep --to ./backups
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'len(d)') == 2 ]] || fail "next run did not add a backup"
pass "the next backup after kill -9 works and verifies"

# SIGTERM (what systemd and Kubernetes send) stops cleanly: exit 1, a message, and no
# temporary file left behind.
rm -rf ./term
"$LIFEBOAT" backup --db big.db --to ./term --compress zstd:19 >/dev/null 2>term.err &
pid=$!
sleep 0.3
kill -TERM $pid
wait $pid; rc=$?
[[ $rc == 1 ]] || fail "SIGTERM: exit $rc, expected 1"
grep -q "stopped by signal" term.err || fail "SIGTERM message: $(cat term.err)"
[[ -z $(find term -type f 2>/dev/null) ]] || fail "SIGTERM left files: $(find term -type f)"
pass "SIGTERM stops a backup cleanly with no leftovers"
