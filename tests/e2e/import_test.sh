#!/usr/bin/env bash
# import: the seed document's backup files (SQLite .db, .db.gz, .db.zst; a real pg_dump
# .sql.gz; a custom .dump) come into the catalog checked, with the right names, times and
# row counts, verify deep and restore; a re-run skips them; each damaged or unusable file
# fails on its own with a clear message while the others are imported; --time/--name;
# imports prune like backups; encryption is applied to imports too.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"
SECONDS=0

manifest() { # manifest ID EXPR: a python expression on the manifest `m`
  python3 -c "import json; m=json.load(open('backups/${1%-*-*}/$1.manifest.json')); print($2)"
}
rows_of() { manifest "$1" "' '.join(f\"{t['schema']}.{t['name']}={t['rows']}\" for t in m['tables'])"; }

# ---------------------------------------------------------------------------------------
# 1. Seed-format files.
mkdir in
JOURNAL_MODE=DELETE make_db src.db 3000
cp src.db in/droplink-backup-20250101-030000.db
gzip -c src.db > in/droplink-backup-20250102-030000.db.gz
zstd -q -c src.db > in/droplink-backup-20250103-030000.db.zst

start_pg
createdb shop
psql_in shop >/dev/null <<'SQL'
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), amount numeric(10,2), note text);
INSERT INTO customers (name) SELECT 'customer ' || i || ' — ü' FROM generate_series(1, 50) i;
INSERT INTO orders (customer_id, amount, note) SELECT 1 + i % 50, i * 1.25, CASE WHEN i % 7 = 0 THEN NULL ELSE E'tab\there' END
FROM generate_series(1, 700) i;
SQL
pg_dump -d shop | gzip > in/droplink-postgres-backup-20250101-040000.sql.gz
pg_dump -Fc -d shop -f in/app-20250105-010203.dump
shop_sum=$(psql -XAtq -d shop -c "select count(*), sum(amount), count(note) from orders")

run 0 lb import in/* --to ./backups
[[ $(grep -c '^imported ' <<<"$OUT") == 5 ]] || fail "not 5 imported: $OUT"
run 0 lb list --to ./backups --json
got=$(json_field "$OUT" '"\n".join(sorted(" ".join(e[k] for k in ("id", "name", "time", "kind", "reason")) for e in d))')
want="app-20250105-010203 app 2025-01-05T01:02:03Z postgres import
droplink-20250101-030000 droplink 2025-01-01T03:00:00Z sqlite import
droplink-20250102-030000 droplink 2025-01-02T03:00:00Z sqlite import
droplink-20250103-030000 droplink 2025-01-03T03:00:00Z sqlite import
droplink-postgres-20250101-040000 droplink-postgres 2025-01-01T04:00:00Z postgres import"
[[ $got == "$want" ]] || fail "list after import:
$got
want:
$want"
run 0 lb list --to ./backups
contains "$OUT" "import" "list NOTE column"
pass "five seed files imported in one call with names, times, kinds and reason 'import'"

for d in 1 2 3; do
  [[ $(rows_of droplink-2025010$d-030000) == "main.customers=100 main.orders=3000" ]] || fail "SQLite rows of day $d: $(rows_of droplink-2025010$d-030000)"
done
[[ $(rows_of droplink-postgres-20250101-040000) == "public.customers=50 public.orders=700" ]] \
  || fail "plain dump rows: $(rows_of droplink-postgres-20250101-040000)"
[[ $(manifest droplink-postgres-20250101-040000 'm["integrity_check"]') == "dump trailer" ]] || fail "plain dump check"
[[ $(manifest app-20250105-010203 'm["integrity_check"]') == "pg_restore, dump trailer" ]] || fail "custom dump check"
# A custom-format dump records the same per-table counts as a plain one.
[[ $(rows_of app-20250105-010203) == "public.customers=50 public.orders=700" ]] \
  || fail "custom dump rows: $(rows_of app-20250105-010203)"
[[ $(manifest droplink-20250102-030000 'm["source"]') == "$T/in/droplink-backup-20250102-030000.db.gz" ]] || fail "source"
for id in droplink-20250101-030000 droplink-postgres-20250101-040000 app-20250105-010203; do
  [[ $(manifest $id 'm["reason"]') == import ]] || fail "$id reason"
done
pass "manifests record reason 'import' and the sources' row counts (SQLite 100/3000, dump 50/700)"

run 0 lb verify --all --deep --to ./backups --json
[[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "verify --all --deep: $OUT"
pass "verify --all --deep passes for every import"

createdb fresh
run 0 lb restore --backup-id droplink-postgres-20250101-040000 --target "$(pg_url fresh)" --yes --to ./backups
[[ $(psql -XAtq -d fresh -c "select count(*), sum(amount), count(note) from orders") == "$shop_sum" ]] || fail "restored plain dump rows"
[[ $(psql -XAtq -d fresh -c "select count(*) from customers where name like '% — ü'") == 50 ]] || fail "restored text"
createdb fresh_custom
run 0 lb restore --backup-id app-20250105-010203 --target "$(pg_url fresh_custom)" --yes --to ./backups
[[ $(psql -XAtq -d fresh_custom -c "select count(*), sum(amount), count(note) from orders") == "$shop_sum" ]] || fail "restored custom dump rows"
for d in 1 2 3; do
  run 0 lb restore --backup-id droplink-2025010$d-030000 --target "r$d.db" --to ./backups
  [[ $(sqlite3 "r$d.db" .dump) == "$(sqlite3 src.db .dump)" ]] || fail "the restored SQLite import of day $d differs from the source"
done
pass "restores: the .sql.gz and the .dump into new PostgreSQL databases, the .db/.db.gz/.db.zst as the source"

# ---------------------------------------------------------------------------------------
# 2. A re-run skips everything.
before=$(cd backups && find . -type f -printf '%P %s %T@\n' | sort)
run 0 lb import in/* --to ./backups
[[ $(grep -c '^skipped ' <<<"$OUT") == 5 ]] || fail "re-run: $OUT"
run 0 lb import in/* --to ./backups --json
[[ $(json_field "$OUT" '[f["status"] for f in d["files"]]') == "['skipped', 'skipped', 'skipped', 'skipped', 'skipped']" ]] || fail "--json: $OUT"
[[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "--json failed: $OUT"
[[ $(json_field "$OUT" 'sorted(d["files"][0])') == "['file', 'id', 'message', 'status']" ]] || fail "--json shape: $OUT"
[[ $(cd backups && find . -type f -printf '%P %s %T@\n' | sort) == "$before" ]] || fail "a re-run changed the storage"
pass "re-running the import skips every file (exit 0, files[].status = skipped) and changes nothing"

# ---------------------------------------------------------------------------------------
# 3. Bad inputs: each fails with its own message; the good one in the same call is imported.
mkdir bad
gz=in/droplink-postgres-backup-20250101-040000.sql.gz
head -c $(( $(stat -c %s $gz) / 2 )) $gz > bad/droplink-postgres-backup-20250201-040000.sql.gz
gunzip -c $gz | head -n -5 > bad/shop-20250202-000000.sql
echo "this is not a database" > bad/notsqlite-20250203-000000.db
JOURNAL_MODE=DELETE make_db corrupt.db 3000
pages=$(sqlite3 corrupt.db 'pragma page_count'); psize=$(sqlite3 corrupt.db 'pragma page_size')
[[ $pages -gt 20 ]] || fail "the database to corrupt has only $pages pages"
head -c $(( psize * 3 )) /dev/urandom | dd of=corrupt.db bs=$psize seek=$(( pages / 2 )) conv=notrunc status=none
[[ $(sqlite3 corrupt.db 'pragma quick_check' 2>&1) != ok ]] || fail "overwriting pages did not damage the database"
cp corrupt.db bad/corrupt-20250204-000000.db
echo "not gzip at all" > bad/nogzip-20250205-000000.sql.gz
zst=in/droplink-backup-20250103-030000.db.zst
head -c $(( $(stat -c %s $zst) / 2 )) $zst > bad/trunczst-20250207-000000.db.zst
head -c 300 $zst > bad/trunczst-20250208-000000.db.zst
cp src.db bad/notime.db
cp src.db bad/good-20250210-000000.db
files=(bad/droplink-postgres-backup-20250201-040000.sql.gz bad/shop-20250202-000000.sql
       bad/notsqlite-20250203-000000.db bad/corrupt-20250204-000000.db bad/nogzip-20250205-000000.sql.gz
       bad/missing-20250206-000000.db bad/trunczst-20250207-000000.db.zst bad/trunczst-20250208-000000.db.zst
       bad/notime.db bad/good-20250210-000000.db)
run 1 lb import "${files[@]}" --to ./backups
contains "$OUT" "imported bad/good-20250210-000000.db as good-20250210-000000"
contains "$ERR" "9 of 10 files could not be imported"
contains "$ERR" "'bad/droplink-postgres-backup-20250201-040000.sql.gz' is damaged: gzip: compressed stream is truncated"
contains "$ERR" "ends without pg_dump's completion trailer: it is truncated"
contains "$ERR" "'bad/notsqlite-20250203-000000.db' is not a SQLite database"
contains "$ERR" "corrupt-20250204-000000.db' is damaged"
contains "$ERR" "'bad/nogzip-20250205-000000.sql.gz' is named like a gzip file but is not one"
contains "$ERR" "'bad/missing-20250206-000000.db' does not exist"
contains "$ERR" "'bad/notime.db' has no time in its name"
contains "$ERR" "'bad/trunczst-20250207-000000.db.zst' is damaged: zstd: compressed stream is truncated"
contains "$ERR" "'bad/trunczst-20250208-000000.db.zst' is damaged: zstd: compressed stream is truncated"
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" '" ".join(sorted(e["id"] for e in d if e["time"] >= "2025-02"))') == "good-20250210-000000" ]] \
  || fail "list after the bad batch: $OUT"
for p in droplink-postgres-20250201 shop-20250202 notsqlite corrupt nogzip missing trunczst notime; do
  [[ -z $(find backups -type f -name "*$p*") ]] || fail "objects stored for a failed import: $(find backups -type f -name "*$p*")"
done
[[ -z $(find backups -name '.*' -type f) ]] || fail "temporary files left: $(find backups -name '.*')"
run 1 lb import "${files[@]:0:2}" --to ./backups --json
[[ $(json_field "$OUT" '[(f["status"], bool(f["message"])) for f in d["files"]]') == "[('failed', True), ('failed', True)]" ]] \
  || fail "--json of failures: $OUT"
[[ $(json_field "$OUT" 'd["failed"]') == 2 ]] || fail "--json failed count: $OUT"
contains "$ERR" "is damaged: gzip: compressed stream is truncated" "stderr with --json"
run 2 lb import bad/notime.db --to ./backups --json
[[ $(json_field "$OUT" '(d["failed"], d["files"][0]["status"])') == "(1, 'failed')" ]] || fail "--json of one usage failure: $OUT"
contains "$ERR" "has no time in its name" "stderr with --json"
pass "nine bad files in one call fail each with its message, the good one is imported (exit 1); --json is one document"

one() { # one EXIT FILE MESSAGE: a single bad file
  run "$1" lb import "$2" --to ./backups
  contains "$ERR" "$3"
}
one 2 bad/notime.db "has no time in its name"
one 2 bad/notsqlite-20250203-000000.db "is not a SQLite database"
one 2 bad/missing-20250206-000000.db "does not exist"
one 2 bad/nogzip-20250205-000000.sql.gz "is named like a gzip file but is not one"
one 1 bad/droplink-postgres-backup-20250201-040000.sql.gz "is damaged: gzip: compressed stream is truncated"
one 1 bad/shop-20250202-000000.sql "it is truncated"
one 1 bad/corrupt-20250204-000000.db "is damaged"
one 1 bad/trunczst-20250207-000000.db.zst "is damaged: zstd: compressed stream is truncated"
one 1 bad/trunczst-20250208-000000.db.zst "is damaged: zstd: compressed stream is truncated"
run 0 lb verify --all --deep --to ./backups
pass "a single bad file: exit 2 for usage problems (no time, not SQLite, missing, not gzip), 1 for damaged content"

# ---------------------------------------------------------------------------------------
# 4. --time and --name.
cp src.db nodate.db
run 0 lb import nodate.db --time 2024-06-01T12:00:00Z --name legacy --to ./backups --json
[[ $(json_field "$OUT" 'd["files"][0]["id"]') == legacy-20240601-120000 ]] || fail "--time/--name: $OUT"
run 0 lb list --name legacy --to ./backups --json
[[ $(json_field "$OUT" '[(e["id"], e["time"], e["name"]) for e in d]') == "[('legacy-20240601-120000', '2024-06-01T12:00:00Z', 'legacy')]" ]] \
  || fail "list of legacy: $OUT"
run 0 lb import nodate.db --time 2024-06-02T08:30:00+02:00 --to ./backups --json
[[ $(json_field "$OUT" 'd["files"][0]["id"]') == nodate-20240602-063000 ]] || fail "--time with an offset, name from the file: $OUT"
run 2 lb import nodate.db src.db --time 2024-06-01T12:00:00Z --to ./backups
contains "$ERR" "--time applies to a single file"
run 2 lb import nodate.db --time yesterday-ish --to ./backups
pass "--time and --name give legacy-20240601-120000; --time is UTC-normalised; --time with two files exits 2"

# ---------------------------------------------------------------------------------------
# 5. Imports prune like any backup.
mkdir old
for t in 20240101-000000 20240201-000000 20240301-000000; do cp src.db "old/old-$t.db"; done
run 0 lb import old/*.db --to ./backups
run 0 lb prune --name old --keep-last 1 --json --to ./backups
[[ $(json_field "$OUT" 'd["removed"]') == 2 ]] || fail "prune of imports: $OUT"
run 0 lb list --name old --to ./backups --json
[[ $(json_field "$OUT" '[e["id"] for e in d]') == "['old-20240301-000000']" ]] || fail "after prune: $OUT"
# What is left of a removed backup is its reservation for a day (the id stays taken).
[[ $(ls backups/old | grep -v '\.reserved$') == "$(printf '%s\n' old-20240301-000000.db.zst old-20240301-000000.manifest.json old-20240301-000000.sha256)" ]] \
  || fail "objects after prune: $(ls backups/old)"
[[ $(ls backups/old | grep -c '\.reserved$') == 2 ]] || fail "the removed ids are not kept reserved: $(ls backups/old)"
pass "three imports pruned with --keep-last 1: two removed with their objects"

# ---------------------------------------------------------------------------------------
# 6. Encryption configured: imports are stored encrypted and restore with the identity.
run 0 lb keygen -o key.txt
pub=$(grep -o 'age1[0-9a-z]*' key.txt | head -1)
[[ -n $pub ]] || fail "no public key in key.txt"
printf '[encryption]\nrecipients = ["%s"]\n' "$pub" > enc.toml
mkdir enc
cp src.db enc/secret-20250301-000000.db
cp in/droplink-postgres-backup-20250101-040000.sql.gz enc/secretpg-20250302-000000.sql.gz
run 0 lb --config enc.toml import enc/* --to ./backups --json
[[ $(json_field "$OUT" '[f["encrypted"] for f in d["files"]]') == "[True, True]" ]] || fail "imports not encrypted: $OUT"
[[ -f backups/secret/secret-20250301-000000.db.zst.age && -f backups/secretpg/secretpg-20250302-000000.sql.zst.age ]] \
  || fail "no .age objects: $(ls backups/secret backups/secretpg)"
[[ $(head -c 21 backups/secret/secret-20250301-000000.db.zst.age) == "age-encryption.org/v1" ]] || fail "not an age file"
! grep -q "customer 1" <(zstd -dc backups/secret/secret-20250301-000000.db.zst.age 2>/dev/null) || fail "plaintext readable"
[[ $(manifest secret-20250301-000000 'm["data"]["recipients"]') == "['$pub']" ]] || fail "recipients in the manifest"
run 0 lb list --to ./backups
contains "$(grep secret-20250301 <<<"$OUT")" "encrypted"
run 2 lb restore --backup-id secret-20250301-000000 --target enc1.db --to ./backups
contains "$ERR" "no identity"
[[ ! -e enc1.db ]] || fail "a refused restore created its target"
run 0 lb restore --backup-id secret-20250301-000000 --target enc1.db --identity key.txt --to ./backups
[[ $(sqlite3 enc1.db .dump) == "$(sqlite3 src.db .dump)" ]] || fail "encrypted import restores differently"
createdb fresh_enc
run 0 lb restore --backup-id secretpg-20250302-000000 --target "$(pg_url fresh_enc)" --yes --identity key.txt --to ./backups
[[ $(psql -XAtq -d fresh_enc -c "select count(*), sum(amount), count(note) from orders") == "$shop_sum" ]] || fail "encrypted pg import"
run 0 lb verify --all --deep --identity key.txt --to ./backups --json
[[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "verify --deep with identity: $OUT"
pass "with [encryption] recipients, imports are stored as .age and restore only with --identity"

echo "import test took ${SECONDS}s"
(( SECONDS < 120 )) || fail "the test took ${SECONDS}s (budget 120s)"
