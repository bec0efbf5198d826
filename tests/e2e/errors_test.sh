#!/usr/bin/env bash
# Bad input gives one clear message and exit code 2; a full disk or an unwritable
# destination gives a clear error, exit code 1 and no listed backup.
source "$(dirname "$0")/lib.sh"

make_db app.db 1000

run 2 lb frobnicate
contains "$ERR" "lifeboat: error:"
run 2 lb backup --db app.db --to ./b --bogus-flag
contains "$ERR" "bogus-flag"
run 2 lb
run 2 lb backup --db app.db --to ./b --compress zstd:99
contains "$ERR" "zstd:99"
run 2 lb restore --latest --before 2020-01-01 --to ./b
run 2 lb restore --before yesterday --to ./b
contains "$ERR" "yesterday"
pass "nonsense arguments exit 2 with a message"

run 2 lb backup --db missing.db --to ./b
contains "$ERR" "missing.db"; contains "$ERR" "does not exist"
[[ ! -e missing.db ]] || fail "backup created the missing database"
echo "just some text, not a database at all" > notes.txt
run 2 lb backup --db notes.txt --to ./b
contains "$ERR" "notes.txt"; contains "$ERR" "not a SQLite database"
head -c 100000 /dev/urandom > random.bin
run 2 lb backup --db random.bin --to ./b
contains "$ERR" "not a SQLite database"
[[ -z $(find b -name '*.manifest.json' 2>/dev/null) ]] || fail "a backup was listed"
pass "missing and non-SQLite databases exit 2, naming the file"

printf '[storage]\nurl = "./b"\n[retention]\nkeep_dayly = 3\n' > bad.toml
run 2 lb --config bad.toml list
contains "$ERR" "keep_dayly"
printf '[storage\nurl = \n' > broken.toml
run 2 lb --config broken.toml list
contains "$ERR" "broken.toml"
printf '[storage]\nurl = "${LIFEBOAT_TEST_UNSET_VAR}"\n' > unset.toml
run 2 lb --config unset.toml list
contains "$ERR" "LIFEBOAT_TEST_UNSET_VAR"
run 2 lb --config nowhere.toml list
contains "$ERR" "nowhere.toml"
run 2 lb list --to 'ftp://example.com/x'
contains "$ERR" "ftp://"
pass "bad configuration files exit 2, naming the file and the key"

# A config file drives the backup, and config show redacts secrets.
cat > lifeboat.toml <<'TOML'
[storage]
url = "./configured"
[[database]]
name = "shop"
url = "${SHOP_DB}"
compress = "gzip:6"
TOML
SHOP_DB=app.db run 0 lb backup
[[ -n $(ls configured/shop/*.db.gz) ]] || fail "config-driven backup not in ./configured/shop as .db.gz"
SHOP_DB='postgres://app:hunter2secret@db.example.com/app' run 0 lb config show
contains "$OUT" "storage.url"; not_contains "$OUT" "hunter2secret" "config show"
rm lifeboat.toml
pass "the config file drives backup; config show hides secrets"

# Full disk: a 1 MiB file system for a backup that needs more.
mkdir -p full
if ! mount -t tmpfs -o size=1m tmpfs full 2>/dev/null; then
  skip "cannot mount a small tmpfs here (need root) for the full-disk test"
fi
on_exit "umount $T/full"
sqlite3 app.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                INSERT INTO orders(customer_id, note, data) SELECT 1, 'x', randomblob(500) FROM n;"
run 1 lb backup --db app.db --to ./full/backups
contains "$ERR" "No space left on device"; contains "$ERR" "full/backups"
contains "$ERR" "HINT:"
[[ -z $(find full -name '*.manifest.json') ]] || fail "a manifest exists on the full disk"
[[ -z $(find full -type f) ]] || fail "leftover files on the full disk: $(find full -type f)"
run 0 lb list --to ./full/backups
contains "$OUT" "no backups"
pass "a full disk fails clearly with no listed backup and no leftovers"

mkdir -p ro
mount -t tmpfs -o ro,size=1m tmpfs ro && on_exit "umount $T/ro"
run 1 lb backup --db app.db --to ./ro/backups
contains "$ERR" "ro/backups"; contains "$ERR" "Read-only file system"
touch afile
run 1 lb backup --db app.db --to ./afile/backups
contains "$ERR" "afile"
pass "unwritable destinations fail clearly"
