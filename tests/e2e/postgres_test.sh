#!/usr/bin/env bash
# PostgreSQL against a real PostgreSQL 15 server started for this test: a schema that
# exercises what applications hold, round trip into a staging database that dumps
# identically, restore over a live database with a safety backup, a failing restore
# that changes nothing, and the specific errors.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"
start_pg

createdb app
psql_in app >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS numeric CHECK (VALUE > 0);
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, note text, mood mood,
  balance positive, tags text[], profile jsonb, raw json, avatar bytea,
  created timestamptz DEFAULT '2026-01-02 03:04:05+02', wait interval);
COMMENT ON TABLE customers IS 'people who buy — ünïcödé';
CREATE INDEX customers_name ON customers (lower(name));
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id),
  amount numeric(12,2), placed date, line text);
CREATE TABLE events (id int, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 500;
CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(amount) AS total FROM orders GROUP BY 1;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.line := coalesce(NEW.line, 'auto'); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO customers (name, note, mood, balance, tags, profile, raw, avatar, wait)
SELECT 'customer ' || i || ' Jobim — 日本語', CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN '' ELSE 'x' END,
  (ARRAY['sad','ok','happy'])[1 + i % 3]::mood, i * 1.5, ARRAY['a', 'b' || i], jsonb_build_object('i', i, 'nested', jsonb_build_array(1, 'two')),
  '{"keep": "spacing",  "dup": 1}', decode(lpad(to_hex(i % 256), 2, '0'), 'hex') || '\x00ff5c0a0d'::bytea, (i || ' minutes')::interval
FROM generate_series(1, 300) i;
INSERT INTO customers (name, avatar) SELECT 'all bytes', string_agg(set_byte('\x00'::bytea, 0, b), ''::bytea) FROM generate_series(0, 255) b;
INSERT INTO orders (customer_id, amount, placed) SELECT 1 + i % 300, (i % 1000) + 0.25, date '2026-01-01' + i % 300 FROM generate_series(1, 5000) i;
INSERT INTO events SELECT i, date '2025-06-01' + i, 'e' || i FROM generate_series(1, 400) i;
REFRESH MATERIALIZED VIEW order_totals;
SELECT setval('orders_id_seq', 777777);
SQL

run 0 lb backup --db "$(pg_url app)" --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
[[ $id == app-* ]] || fail "backup name from the URL: $id"
[[ $(json_field "$OUT" 'd["key"]') == "app/$id.sql.zst" ]] || fail "key: $OUT"
[[ $(json_field "$OUT" 'd["kind"]') == postgres ]] || fail "kind"
grep -rq "$PG_PASSWORD" backups && fail "the password is stored in the backups"
grep -q '"source": "postgres://lifeboat:\*\*\*@127.0.0.1' "backups/app/$id.manifest.json" || fail "source not redacted"
rows=$(python3 -c "import json; m=json.load(open('backups/app/$id.manifest.json')); print(' '.join(f\"{t['schema']}.{t['name']}={t['rows']}\" for t in m['tables']))")
[[ $rows == *"public.customers=301"* && $rows == *"public.orders=5000"* && $rows == *"public.events_2026=187"* ]] \
  || fail "row counts from COPY blocks: $rows"
pass "backup of a real server: .sql.zst, COPY row counts, no password stored ($rows)"

run 0 lb verify --backup-id "$id" --deep --to ./backups
pass "verify --deep checks the dump's trailer and row counts"

dump_of() { pg_dump -d "$1" --no-owner --no-privileges | grep -vE '^(\\restrict|\\unrestrict|-- Dumped)'; }
createdb staging
run 0 lb restore --backup-id "$id" --target "$(pg_url staging)" --to ./backups
diff <(dump_of app) <(dump_of staging) > dump.diff || fail "staging dumps differently: $(head -40 dump.diff)"
[[ $(psql -XAtq -d staging -c "select last_value from orders_id_seq") == 777777 ]] || fail "sequence value"
pass "restore into a staging database: identical dump, sequences kept"

# A restore that fails half way changes nothing: an event trigger of staging's (its
# function lives outside the schemas a restore replaces) fails the first CREATE TABLE,
# after the target's schemas were dropped and recreated in the same transaction.
psql_in staging >/dev/null <<'SQL'
CREATE VIEW keep_me AS SELECT id FROM customers;
INSERT INTO orders (customer_id, amount) VALUES (1, 1);
CREATE FUNCTION pg_catalog.lifeboat_test_refuse() RETURNS event_trigger LANGUAGE plpgsql AS
  $$ BEGIN IF tg_tag = 'CREATE TABLE' THEN RAISE EXCEPTION 'refused by event trigger'; END IF; END $$;
CREATE EVENT TRIGGER refuse_tables ON ddl_command_end EXECUTE FUNCTION pg_catalog.lifeboat_test_refuse();
SQL
before=$(dump_of staging)
run 1 lb restore --backup-id "$id" --target "$(pg_url staging)" --to ./backups --yes --no-safety-backup
contains "$ERR" "refused by event trigger"
contains "$ERR" "rolled back, nothing was changed"
[[ "$(dump_of staging)" == "$before" ]] || fail "a failed restore changed the target"
psql_in staging -c "DROP EVENT TRIGGER refuse_tables; DROP FUNCTION pg_catalog.lifeboat_test_refuse()" >/dev/null
pass "a restore that fails half way leaves the target exactly as it was, and says why"

# Over a live, non-empty database: refused without --yes; with --yes a safety backup first.
psql_in app -c "DELETE FROM orders WHERE id > 100" >/dev/null
run 2 lb restore --backup-id "$id" --to ./backups --target "$(pg_url app)"
contains "$ERR" "without confirmation"
DATABASE_URL="$(pg_url app)" run 0 lb restore --latest --to ./backups --yes
contains "$OUT" "safety backup"
[[ $(psql -XAtq -d app -c "select count(*) from orders") == 5000 ]] || fail "not restored"
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'sum(1 for e in d if e["safety"])') == 1 ]] || fail "no safety backup listed"
pass "restore over the live database (DATABASE_URL) asks, takes a safety backup, restores"

# gzip for the seed document's .sql.gz, and a libpq keyword string.
run 0 lb backup --db "host=127.0.0.1 port=$PGPORT user=lifeboat password=$PG_PASSWORD dbname=app" \
  --compress gzip --to ./backups --json
key=$(json_field "$OUT" 'd["key"]')
[[ $key == *.sql.gz ]] || fail "gzip key $key"
gunzip -c "backups/$key" | grep -q "PostgreSQL database dump complete" || true
pass "keyword strings and --compress gzip (.sql.gz)"

# Custom format: .dump.zst, verified by reading it whole with pg_restore, restored with
# pg_restore in one transaction.
run 0 lb backup --db "$(pg_url app)" --format custom --to ./backups --json
cid=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["key"]') == "app/$cid.dump.zst" ]] || fail "custom key: $OUT"
run 0 lb verify --backup-id "$cid" --deep --to ./backups
createdb custom_copy
run 0 lb restore --backup-id "$cid" --target "$(pg_url custom_copy)" --to ./backups
diff <(dump_of app) <(dump_of custom_copy) > custom.diff || fail "custom copy differs: $(head custom.diff)"
pass "custom format: .dump.zst, deep verify with pg_restore, identical restore"

# A flipped byte in the stored dump: restore refuses before touching the target.
cp "backups/app/$id.sql.zst" pristine.zst
python3 -c "import sys; p='backups/app/$id.sql.zst'; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)"
before=$(dump_of staging)
run 1 lb restore --backup-id "$id" --target "$(pg_url staging)" --to ./backups --yes
contains "$ERR" "checksum mismatch"
[[ "$(dump_of staging)" == "$before" ]] || fail "a damaged backup changed the target"
cp pristine.zst "backups/app/$id.sql.zst"
pass "a damaged PostgreSQL backup is refused and the target is untouched"

# Specific errors.
run 1 lb backup --db "postgres://lifeboat:wrong@127.0.0.1:$PGPORT/app" --to ./backups
contains "$ERR" "authentication failed for 'postgres://lifeboat:***@127.0.0.1:$PGPORT/app'"
not_contains "$ERR" "wrong"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run 1 lb backup --db "postgres://lifeboat:x@127.0.0.1:$closed/app" --to ./unreachable
contains "$ERR" "unable to connect to"
run 1 lb backup --db "$(pg_url nosuchdb)" --to ./backups
contains "$ERR" "database 'nosuchdb' does not exist"
mkdir -p emptybin; run 1 env PATH="$T/emptybin" "$LIFEBOAT" backup --db "$(pg_url app)" --to ./nopgdump
contains "$ERR" "program 'pg_dump' is not installed"; contains "$ERR" "postgresql-client"
pass "wrong password, unreachable server, missing database and missing pg_dump are specific"

# Another server's database "app" is another database: it never joins app's history.
run 2 lb backup --db "postgres://lifeboat:x@127.0.0.1:$closed/app" --to ./backups
contains "$ERR" "backups named 'app' in './backups' are of 'postgres://lifeboat:***@127.0.0.1:$PGPORT/app'"
contains "$ERR" "Pass --name"
# The same database written another way (keywords instead of a URL) is the same source.
run 0 lb backup --db "host=127.0.0.1 port=$PGPORT user=lifeboat dbname=app password=$PG_PASSWORD" --to ./backups --no-prune
pass "a backup name keeps to one PostgreSQL database, however its connection is written"

# kill -9 of pg_dump in the middle: the backup fails, nothing is listed, the next works.
psql_in app -c "INSERT INTO orders (customer_id, amount, line) SELECT 1, 1, repeat('x', 500) FROM generate_series(1, 300000)" >/dev/null
n_before=$(lb list --to ./backups --json | json_field "$(cat)" 'len(d)')
"$LIFEBOAT" backup --db "$(pg_url app)" --to ./backups --compress zstd:19 >/dev/null 2>kill.err &
pid=$!
for _ in $(seq 50); do child=$(pgrep -P $pid pg_dump) && break; sleep 0.05; done
[[ -n ${child:-} ]] || fail "pg_dump never started"
kill -9 "$child"
wait $pid; rc=$?
[[ $rc == 1 ]] || fail "lifeboat exited $rc after pg_dump was killed: $(cat kill.err)"
grep -q "pg_dump" kill.err || fail "message does not name pg_dump: $(cat kill.err)"
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'len(d)') == "$n_before" ]] || fail "a killed dump was listed"
run 0 lb backup --db "$(pg_url app)" --to ./backups
pass "kill -9 of pg_dump: clear failure, nothing listed, next run works"

# kill -9 of lifeboat itself in the middle of a PostgreSQL backup.
n_before=$(lb list --to ./backups --json | json_field "$(cat)" 'len(d)')
"$LIFEBOAT" backup --db "$(pg_url app)" --to ./backups --compress zstd:19 >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -9 $pid || fail "the backup ended before kill -9"
wait $pid 2>/dev/null
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'len(d)') == "$n_before" ]] || fail "a killed backup was listed"
# DATABASE_URL is the default source when there is no --db and no config.
DATABASE_URL="$(pg_url app)" run 0 lb backup --to ./backups --json
[[ $(json_field "$OUT" 'd["name"]') == app ]] || fail "DATABASE_URL backup: $OUT"
pass "kill -9 of lifeboat leaves nothing listed; DATABASE_URL is the default source"

# The README's by-hand recovery (zstd -d | psql) on a real backup, into a fresh database.
readme="$LIFEBOAT_SOURCE_DIR/README.md"
block=$(awk '/<!-- test: recovery-postgres begin -->/{f=1;next} /<!-- test: recovery-postgres end -->/{f=0} f' "$readme" \
        | sed -n '/^```/,/^```/p' | sed '1d;$d')
[[ -n $block ]] || fail "README has no recovery-postgres block"
run 0 lb backup --db "$(pg_url app)" --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
createdb byhand
mkdir byhand && (cd byhand && BACKUPS="$T/backups" ID="$id" NAME=app DATABASE_URL="$(pg_url byhand)" \
  bash -euo pipefail -c "$block") >/dev/null || fail "README postgres recovery failed"
[[ $(psql -XAtq -d byhand -c "select count(*) from customers") == 301 ]] || fail "by-hand rows"
pass "the README's by-hand PostgreSQL recovery works without lifeboat"

# Passwords that need encoding, in the userinfo and as ?password=: never in any process's
# argv (polled from /proc while the backup and the restore run), output or stored object.
hard='p/+=?@:#% w'
enc=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=''))" "$hard")
psql -XAtq -c "CREATE ROLE hardpw LOGIN SUPERUSER PASSWORD '$hard'" >/dev/null
createdb app_hard
poll_argv() { # poll_argv FILE: every cmdline seen until killed
  while :; do
    for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f" 2>/dev/null; echo; done >>"$1"
  done
}
# The secrets come through the environment (DATABASE_URL, PGPASSWORD), never lifeboat's
# own command line: exported in a subshell, so no `env VAR=...` process shows them either.
for url in "postgres://hardpw:$enc@127.0.0.1:$PGPORT/app" \
           "postgres://hardpw@127.0.0.1:$PGPORT/app?password=$enc&sslmode=disable" \
           "postgres://hardpw:$enc@127.0.0.1:$PGPORT/app?sslpassword=$enc&sslmode=prefer"; do
  : >argv.seen
  poll_argv argv.seen & poller=$!
  (
    export DATABASE_URL="$url"; unset PGPASSWORD
    run 0 lb backup --to ./hard --name hard --json --verbose
    echo "$OUT$ERR" >seen.txt
    export PGPASSWORD="$hard"
    run 0 lb restore --latest --name hard --target "postgres://hardpw@127.0.0.1:$PGPORT/app_hard" \
      --to ./hard --yes --verbose
    echo "$OUT$ERR" >>seen.txt
  ) || fail "backup or restore with a hard password failed"
  kill $poller; wait $poller 2>/dev/null
  grep -q "pg_dump" argv.seen || fail "the poller never saw pg_dump running"
  grep -q "psql" argv.seen || fail "the poller never saw psql running"
  for needle in "$hard" "$enc" "p/+" "p%2F"; do
    ! grep -q -F -- "$needle" argv.seen || fail "the password ($needle) was in a process's argv: $(grep -F -- "$needle" argv.seen | head -2)"
    ! grep -q -F -- "$needle" seen.txt || fail "the password ($needle) was printed: $(cat seen.txt)"
    ! grep -r -q -F -- "$needle" hard || fail "the password ($needle) is in the storage"
  done
done
pass "passwords with / + = ? @ : # %, ?password= and ?sslpassword= never reach argv, output or storage"
