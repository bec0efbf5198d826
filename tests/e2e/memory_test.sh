#!/usr/bin/env bash
# Peak memory does not grow with the database: a backup of a 300 MB database and the
# restore of a highly compressible one (a decompression bomb: 300 MB of zeros stored
# in a few hundred KB) each stay under 64 MiB of resident memory.
source "$(dirname "$0")/lib.sh"
[[ -x /usr/bin/time ]] || skip "/usr/bin/time is not installed"

peak() { # peak CMD...: runs CMD, fails on error, prints max RSS in KiB
  /usr/bin/time -f "%M" -o "$T/.rss" "$@" </dev/null >/dev/null 2>"$T/.err" || fail "$* failed: $(cat "$T/.err")"
  tail -1 "$T/.rss"
}

sqlite3 zeros.db "CREATE TABLE z (id INTEGER PRIMARY KEY, b BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
  INSERT INTO z SELECT i, zeroblob(100000) FROM n;"
sqlite3 mixed.db "CREATE TABLE m (id INTEGER PRIMARY KEY, t TEXT, b BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
  INSERT INTO m SELECT i, hex(randomblob(100)), randomblob(300) FROM n;"

for db in zeros mixed; do
  size=$(stat -c %s $db.db)
  kb=$(peak "$LIFEBOAT" backup --db $db.db --to ./backups)
  (( kb < 64 * 1024 )) || fail "backup of $db ($size bytes) peaked at $kb KiB"
  echo "backup of $db.db ($((size / 1000000)) MB): peak $((kb / 1024)) MiB"
  kb=$(peak "$LIFEBOAT" restore --latest --name $db --target restored-$db.db --to ./backups)
  (( kb < 64 * 1024 )) || fail "restore of $db peaked at $kb KiB"
  echo "restore of $db.db: peak $((kb / 1024)) MiB"
done
stored=$(stat -c %s backups/zeros/*.db.zst)
echo "zeros.db is stored in $stored bytes"
pass "backup and restore stay under 64 MiB, including a decompression bomb"
