#!/usr/bin/env bash
# PostgreSQL with real data: Pagila round trip, a backup while pgbench writes, and a
# pg_dump older than the server (a scripted stand-in: only one version is installed).
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"
start_pg
dump_of() { pg_dump -d "$1" --no-owner --no-privileges | grep -vE '^(\\restrict|\\unrestrict|-- Dumped)'; }

# A backup while pgbench writes: the restore holds exactly the manifest's rows.
createdb bench
pgbench -i -s 2 -q bench >/dev/null 2>&1 || fail "pgbench -i failed"
pgbench -c 2 -T 20 -n bench >/dev/null 2>&1 &
writer=$!
on_exit "kill $writer"
sleep 1
run 0 lb backup --db "$(pg_url bench)" --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
kill -0 $writer 2>/dev/null || fail "pgbench stopped before the backup ended"
kill $writer; wait $writer 2>/dev/null
createdb bench_copy
run 0 lb restore --backup-id "$id" --target "$(pg_url bench_copy)" --to ./backups
want=$(python3 -c "import json; m=json.load(open('backups/bench/$id.manifest.json')); print([t['rows'] for t in m['tables'] if (t['schema'], t['name']) == ('public', 'pgbench_history')][0])")
got=$(psql -XAtq -d bench_copy -c "select count(*) from pgbench_history")
[[ $got == "$want" ]] || fail "pgbench_history: restored $got, manifest $want"
[[ $(psql -XAtq -d bench_copy -c "select sum(abalance) = (select sum(delta) from pgbench_history) from pgbench_accounts") == t ]] \
  || fail "the restored accounts do not balance with the history: not one snapshot"
pass "backup during pgbench writes: one consistent snapshot ($want history rows)"

# "COPY ... FROM stdin;" as schema text (a function body, a comment) is not a data
# block: the counts of the real blocks after it stay right, and the restore checks pass.
createdb tricky
psql_in tricky >/dev/null <<'SQL'
CREATE TABLE a (x int); INSERT INTO a SELECT generate_series(1, 3);
CREATE FUNCTION a_load() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
COPY public.a (x) FROM stdin;
END
$body$;
COMMENT ON TABLE a IS '
COPY public.a (x) FROM stdin;
';
CREATE TABLE b (y text); INSERT INTO b SELECT 'row ' || i FROM generate_series(1, 5) i;
SQL
run 0 lb backup --db "$(pg_url tricky)" --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["rows"]') == 8 ]] || fail "a COPY line in a function body changed the counts: $OUT"
run 0 lb verify --backup-id "$id" --deep --to ./backups
createdb tricky_copy
run 0 lb restore --backup-id "$id" --target "$(pg_url tricky_copy)" --to ./backups
[[ $(psql -XAtq -d tricky_copy -c "select (select count(*) from a) || '/' || (select count(*) from b)") == 3/5 ]] \
  || fail "tricky restore counts"
pass "COPY text in a function body and a comment does not fool the row counter"

# Pagila, when the shared test data is there.
pagila="$LIFEBOAT_SHARED_DIR/testdata/pagila"
if [[ -f $pagila/pagila-schema.sql ]]; then
  psql -XAtq -c "CREATE ROLE postgres" >/dev/null 2>&1
  createdb pagila
  psql_in pagila -f "$pagila/pagila-schema.sql" >/dev/null 2>load.err || fail "pagila schema: $(tail -3 load.err)"
  psql_in pagila -f "$pagila/pagila-data.sql" >/dev/null 2>load.err || fail "pagila data: $(tail -3 load.err)"
  run 0 lb backup --db "$(pg_url pagila)" --to ./backups --json
  id=$(json_field "$OUT" 'd["id"]')
  run 0 lb verify --backup-id "$id" --deep --to ./backups
  createdb pagila_copy
  run 0 lb restore --backup-id "$id" --target "$(pg_url pagila_copy)" --to ./backups
  # Statements must be identical; only comments may differ: pagila's schema makes
  # 'postgres' own schema public, which a --no-owner dump does not carry over.
  diff <(dump_of pagila | grep -vE '^(--|$)') <(dump_of pagila_copy | grep -vE '^(--|$)') > pagila.diff \
    || fail "pagila dumps differ: $(head -20 pagila.diff)"
  [[ $(psql -XAtq -d pagila_copy -c "select count(*) from rental") == 16044 ]] || fail "rental rows"
  pass "Pagila round trip: identical dump, 16044 rentals"
else
  skip "Pagila not found at $pagila"
fi

# A pg_dump older than the server says so (scripted stand-in with pg_dump's own words).
mkdir -p oldbin
cat > oldbin/pg_dump <<'SH'
#!/bin/sh
echo "pg_dump: error: aborting because of server version mismatch" >&2
echo "pg_dump: detail: server version: 16.4; pg_dump version: 13.16" >&2
exit 1
SH
chmod +x oldbin/pg_dump
run 1 env PATH="$T/oldbin:$PATH" "$LIFEBOAT" backup --db "$(pg_url bench)" --to ./backups
contains "$ERR" "pg_dump is older than the server of 'postgres://lifeboat:***@"
contains "$ERR" "HINT: Install a postgresql-client"
pass "a pg_dump older than the server gives a specific error"
