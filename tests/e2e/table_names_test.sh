#!/usr/bin/env bash
# Table names are data: dots, quotes, spaces and unicode in schema and table names never
# merge two tables of the inventory (core/inventory). SQLite, then a real PostgreSQL 15:
# backup, verify --deep and restore, a manifest with one entry per table and its rows,
# a changed row count named exactly, and manifests written before "schema" was recorded
# still verify and restore.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"

tables_of() { # tables_of NAME ID: "schema|name=rows" per table, in manifest order
  python3 -c "import json; m=json.load(open('${STORE:-backups}/$1/$2.manifest.json')); print(' '.join(f\"{t['schema']}|{t['name']}={t['rows']}\" for t in m['tables']))"
}
edit_manifest() { # edit_manifest NAME ID PYTHON: runs PYTHON on `m`, writes the manifest back
  python3 -c "import json
p='${STORE:-backups}/$1/$2.manifest.json'; m=json.load(open(p))
$3
json.dump(m, open(p, 'w'), indent=2, ensure_ascii=False)"
}
# The tables of the old writer: {"name": ..., "rows": N}, the SQLite table name as it is,
# PostgreSQL's "schema.table" without its quotes.
to_legacy() {
  edit_manifest "$1" "$2" "m['tables'] = [{'name': t['name'] if m['kind'] == 'sqlite' else (t['schema'] + '.' + t['name']).replace('\"', ''), 'rows': t['rows']} for t in m['tables']]"
}

# ---- SQLite ---------------------------------------------------------------------------
sqlite3 names.db <<'SQL' || fail "sqlite3 setup"
CREATE TABLE "a.b" (x); INSERT INTO "a.b" VALUES (1);
CREATE TABLE "a""b" (x); INSERT INTO "a""b" VALUES (1), (2);
CREATE TABLE "main.x" (x); INSERT INTO "main.x" VALUES (1), (2), (3);
CREATE TABLE x (x); INSERT INTO x VALUES (1), (2), (3), (4);
SQL
run 0 lb backup --db names.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["tables"]') == 4 && $(json_field "$OUT" 'd["rows"]') == 10 ]] \
  || fail "backup --json counts: $OUT"
got=$(tables_of names "$id")
[[ $got == 'main|a"b=2 main|a.b=1 main|main.x=3 main|x=4' ]] || fail "SQLite manifest tables: $got"
run 0 lb verify --backup-id "$id" --deep --to ./backups
run 0 lb restore --backup-id "$id" --target restored.db --to ./backups
[[ $(sqlite3 restored.db 'select count(*) from "main.x"; select count(*) from main.x') == $'3\n4' ]] \
  || fail "restored SQLite rows"
pass "SQLite: \"a.b\", \"a\"\"b\", \"main.x\" and x are four tables through backup, verify and restore"

cp "backups/names/$id.manifest.json" sqlite.manifest
edit_manifest names "$id" "[t.update(rows=33) for t in m['tables'] if t['name'] == 'main.x']"
run 1 lb verify --backup-id "$id" --deep --to ./backups
contains "$ERR" "lifeboat: error: the content of backup '$id' does not match backup '$id': table \"main\".\"main.x\" has 3 rows, expected 33"
cp restored.db before.db
run 1 lb restore --backup-id "$id" --target restored.db --to ./backups --yes
contains "$ERR" "table \"main\".\"main.x\" has 3 rows, expected 33"
cmp -s restored.db before.db || fail "a failed restore changed the target"
pass "SQLite: a changed row count is named with its quoted table, the target untouched"

cp sqlite.manifest "backups/names/$id.manifest.json"
to_legacy names "$id"
grep -q '"schema"' "backups/names/$id.manifest.json" && fail "legacy manifest still has schema"
run 0 lb verify --backup-id "$id" --deep --to ./backups
run 0 lb restore --backup-id "$id" --target legacy.db --to ./backups
pass "SQLite: a manifest without schema (written before it was recorded) still verifies and restores"

# ---- PostgreSQL -----------------------------------------------------------------------
start_pg
createdb names
psql_in names >/dev/null <<'SQL' || fail "PostgreSQL setup"
CREATE SCHEMA a;
CREATE SCHEMA "a.b";
CREATE SCHEMA "we""ird";
CREATE SCHEMA "日本";
CREATE TABLE public."a.b" (x int);
CREATE TABLE "a"."b.c" (x int);
CREATE TABLE "a.b"."c" (x int);
CREATE TABLE "we""ird"."t" (x int);
CREATE TABLE "日本"."表 (1)" ("FROM stdin;" text, "a""b" int);
INSERT INTO public."a.b" SELECT generate_series(1, 1);
INSERT INTO "a"."b.c" SELECT generate_series(1, 2);
INSERT INTO "a.b"."c" SELECT generate_series(1, 3);
INSERT INTO "we""ird"."t" SELECT generate_series(1, 4);
INSERT INTO "日本"."表 (1)" SELECT 'x', i FROM generate_series(1, 5) i;
SQL
# PostgreSQL's database "names" is another source than names.db: its own storage.
STORE=pgbackups
run 0 lb backup --db "$(pg_url names)" --to ./pgbackups --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["tables"]') == 5 && $(json_field "$OUT" 'd["rows"]') == 15 ]] \
  || fail "backup --json counts: $OUT"
got=$(tables_of names "$id")
[[ $got == 'a|b.c=2 a.b|c=3 public|a.b=1 we"ird|t=4 日本|表 (1)=5' ]] || fail "PostgreSQL manifest tables: $got"
pass "PostgreSQL: public.\"a.b\", \"a\".\"b.c\", \"a.b\".\"c\", \"we\"\"ird\".\"t\" are distinct manifest entries"

run 0 lb verify --backup-id "$id" --deep --to ./pgbackups
createdb names_copy
run 0 lb restore --backup-id "$id" --target "$(pg_url names_copy)" --to ./pgbackups
got=$(psql -XAtq -d names_copy -c 'select concat((select count(*) from public."a.b"), (select count(*) from "a"."b.c"), (select count(*) from "a.b"."c"), (select count(*) from "we""ird"."t"), (select count(*) from "日本"."表 (1)"))')
[[ $got == 12345 ]] || fail "restored PostgreSQL rows: $got"
pass "PostgreSQL: verify --deep and restore check every table by its exact name"

cp "pgbackups/names/$id.manifest.json" pg.manifest
edit_manifest names "$id" "[t.update(rows=30) for t in m['tables'] if (t['schema'], t['name']) == ('a.b', 'c')]"
run 1 lb verify --backup-id "$id" --deep --to ./pgbackups
contains "$ERR" "lifeboat: error: the dump in backup '$id' does not match backup '$id': table \"a.b\".\"c\" has 3 rows, expected 30"
createdb names_bad
run 1 lb restore --backup-id "$id" --target "$(pg_url names_bad)" --to ./pgbackups
# Proven before anything is asked or touched (a small backup is checked whole first).
contains "$ERR" "lifeboat: error: the dump in backup '$id' does not match backup '$id': table \"a.b\".\"c\" has 3 rows, expected 30"
[[ $(psql -XAtq -d names_bad -c "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')") == 0 ]] \
  || fail "a failed restore left tables behind"
pass "PostgreSQL: a changed row count is named with its quoted table, nothing restored"

cp pg.manifest "pgbackups/names/$id.manifest.json"
to_legacy names "$id"
got=$(python3 -c "import json; print(sorted(t['name'] for t in json.load(open('pgbackups/names/$id.manifest.json'))['tables']))")
[[ $got == "['a.b.c', 'a.b.c', 'public.a.b', 'weird.t', '日本.表 (1)']" ]] || fail "legacy names: $got"
run 0 lb verify --backup-id "$id" --deep --to ./pgbackups
createdb names_legacy
run 0 lb restore --backup-id "$id" --target "$(pg_url names_legacy)" --to ./pgbackups
[[ $(psql -XAtq -d names_legacy -c 'select count(*) from "a.b"."c"') == 3 ]] || fail "legacy restore rows"
pass "PostgreSQL: a manifest from before schema was recorded (ambiguous names) still verifies and restores"
