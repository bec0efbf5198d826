#!/usr/bin/env bash
# PostgreSQL restores a production team can trust (issue 11), against real PostgreSQL 15
# servers: owners, privileges, default privileges and database settings survive an
# in-place restore; --no-owner --no-privileges onto a server without those roles; a
# missing role refused before anything is touched; schema drift undone exactly (and
# the safety backup gives the drift back); a seed-style `pg_dump | gzip` without
# --clean restores over an existing database; phantom COPY text and hostile names
# counted right; locks that end within the timeout with the holder named;
# --terminate-connections; a connection cut before COMMIT reported rolled back.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"
start_pg

cat >lifeboat.toml <<'TOML'
[postgres]
lock_timeout = "3s"
TOML
lbc() { "$LIFEBOAT" --config "$T/lifeboat.toml" "$@"; }
# Everything pg_dump writes, owners and privileges included; the restrict key and the
# version lines differ from run to run.
full_dump() { pg_dump -d "$1" | grep -vE '^(\\restrict|\\unrestrict|-- Dumped)'; }
settings_of() { psql -XAtq -d postgres -c "select coalesce(array_to_string(setconfig, ' | '), '') from pg_db_role_setting where setrole = 0 and setdatabase = (select oid from pg_database where datname = '$1')"; }

# ---------------------------------------------------------------------------------------
# 1. Owners, GRANTs, default privileges and settings survive an in-place restore.
psql_in postgres >/dev/null <<'SQL'
CREATE ROLE app LOGIN PASSWORD 'app-pw';
CREATE ROLE "Read Only" LOGIN PASSWORD 'ro-pw';
CREATE DATABASE prod OWNER app;
SQL
psql_in prod >/dev/null <<'SQL'
ALTER DATABASE prod SET work_mem = '8MB';
ALTER DATABASE prod SET search_path = "$user", public, extra;
SET ROLE app;
SET check_function_bodies = off; -- the body below is text that only looks like a dump
CREATE SCHEMA extra;
CREATE TABLE public.accounts (id serial PRIMARY KEY, email text UNIQUE, balance numeric DEFAULT 0);
CREATE TABLE extra.audit (id bigserial PRIMARY KEY, account_id int REFERENCES public.accounts(id), what text);
-- Phantom COPY text where psql's lexer sees none: function bodies with and without
-- dollar-quote tags, a comment, a string literal.
CREATE FUNCTION public.loader() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- COPY public.ghost (x) FROM stdin;
  PERFORM 1;
END $$;
CREATE FUNCTION public.tagged() RETURNS text LANGUAGE sql AS $body$
SELECT 'x';
COPY public.ghost2 (x) FROM stdin;
$body$;
COMMENT ON TABLE public.accounts IS E'has\nCOPY public.ghost3 (x) FROM stdin;\nin it';
CREATE TABLE public."a.b" (x int);
CREATE TABLE public."x""y" (x int);
CREATE TABLE public.xy (x int);
CREATE TABLE public."line
break" (x int);
CREATE TABLE extra."Zoë — table one" (x int);
INSERT INTO public.accounts (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 250) i;
INSERT INTO extra.audit (account_id, what) SELECT 1 + i % 250, 'login' FROM generate_series(1, 1200) i;
INSERT INTO public."a.b" SELECT generate_series(1, 3);
INSERT INTO public."x""y" SELECT generate_series(1, 4);
INSERT INTO public.xy SELECT generate_series(1, 5);
INSERT INTO public."line
break" SELECT generate_series(1, 6);
INSERT INTO extra."Zoë — table one" SELECT generate_series(1, 7);
GRANT USAGE ON SCHEMA extra TO "Read Only";
GRANT SELECT ON ALL TABLES IN SCHEMA public, extra TO "Read Only";
ALTER DEFAULT PRIVILEGES IN SCHEMA extra GRANT SELECT ON TABLES TO "Read Only";
RESET ROLE;
SQL
lbc backup --db "$(pg_url prod)" --to ./backups --json >/dev/null || fail "backup of prod"
id=$(lbc list --to ./backups --json | json_field "$(cat)" 'd[-1]["id"]')
m="backups/prod/$id.manifest.json"
rows=$(python3 -c "import json; m=json.load(open('$m')); print(' '.join(f\"{t['schema']}.{t['name']!r}={t['rows']}\" for t in m['tables']))")
want="extra.'Zoë — table one'=7 extra.'audit'=1200 public.'a.b'=3 public.'accounts'=250 public.'line\\nbreak'=6 public.'x\"y'=4 public.'xy'=5"
[[ $rows == "$want" ]] || fail "manifest tables: $rows
want:             $want"
for t in 'public."a.b"' 'public."x""y"' 'public.xy' 'public."line
break"' 'extra."Zoë — table one"' extra.audit public.accounts; do
  n=$(psql -XAtq -d prod -c "select count(*) from $t")
  grep -q "\"rows\": $n" "$m" || fail "no table of $n rows ($t) in the manifest"
done
roles=$(python3 -c "import json; m=json.load(open('$m')); print(m['roles'])")
[[ $roles == "{'owners': ['app'], 'policies': [], 'privileges': ['Read Only', 'app']}" ]] || fail "roles: $roles"
settings=$(python3 -c "import json; m=json.load(open('$m')); print(m['database_settings'])")
[[ $settings == "['work_mem=8MB', 'search_path=\"\$user\", public, extra']" ]] || fail "settings: $settings"
pass "phantom COPY text ignored; names with dots, quotes, newlines, unicode distinct; counts = count(*); roles and settings recorded"

full_dump prod >prod.before
settings_of prod >settings.before
# Everything the backup recorded is lost: owners, grants, default privileges, settings.
psql_in prod >/dev/null <<'SQL'
ALTER DATABASE prod RESET ALL;
ALTER DATABASE prod SET statement_timeout = '1s';
REVOKE ALL ON ALL TABLES IN SCHEMA public, extra FROM "Read Only";
ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA extra REVOKE SELECT ON TABLES FROM "Read Only";
ALTER TABLE public.accounts OWNER TO lifeboat;
DELETE FROM extra.audit;
SQL
run 0 lbc restore --backup-id "$id" --target "$(pg_url prod)" --to ./backups --yes
diff prod.before <(full_dump prod) >owners.diff || fail "owners/privileges differ after restore: $(head -30 owners.diff)"
[[ $(settings_of prod) == "$(cat settings.before)" ]] || fail "settings: $(settings_of prod) (want $(cat settings.before))"
PGPASSWORD=app-pw psql -XAtq -U app -d prod -c "INSERT INTO public.accounts (email) VALUES ('new@example.com'); INSERT INTO extra.audit (account_id, what) VALUES (1, 'w')" \
  || fail "the application role cannot write after a superuser restore"
PGPASSWORD=ro-pw psql -XAtq -U "Read Only" -d prod -c "select count(*) from extra.audit" >/dev/null \
  || fail "the read-only role lost access"
pass "in-place restore: owners, GRANTs, default privileges and settings identical; the app role writes, the reader reads"

# ---------------------------------------------------------------------------------------
# 2. A server without those roles: refused up front, then --no-owner --no-privileges.
main_port=$PGPORT main_pw=$PG_PASSWORD
start_pg # a second cluster: PGPORT and PG_PASSWORD now name it
other_url="postgres://lifeboat:$PG_PASSWORD@127.0.0.1:$PGPORT/copy"
createdb copy
psql_in copy -c "CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (42)" >/dev/null
before=$(full_dump copy)
run 2 lbc restore --backup-id "$id" --target "$other_url" --to ./backups --yes
contains "$ERR" "names roles that the server of"
contains "$ERR" '"Read Only", "app"'
contains "$ERR" "nothing was changed"
contains "$ERR" "--no-owner --no-privileges"
[[ "$(full_dump copy)" == "$before" ]] || fail "a refused restore touched the target"
run 0 lbc restore --backup-id "$id" --target "$other_url" --to ./backups --yes --no-owner --no-privileges
contains "$OUT" "left out"
[[ $(psql -XAtq -d copy -c "select count(*) from extra.audit") == 1200 ]] || fail "no-owner restore rows"
[[ $(psql -XAtq -d copy -c "select tableowner from pg_tables where tablename = 'accounts'") == lifeboat ]] \
  || fail "owner is not the restoring role"
[[ $(psql -XAtq -d copy -c "select count(*) from pg_tables where tablename = 'keep_me'") == 0 ]] \
  || fail "keep_me survived an in-place restore"
pass "missing roles refused before anything is touched; --no-owner --no-privileges restores onto a second cluster"
export PGPORT=$main_port PGPASSWORD=$main_pw PG_PASSWORD=$main_pw

# ---------------------------------------------------------------------------------------
# 3. Schema drift: a later FK, table, schema, column and index. The in-place restore gives
#    back the backup exactly; the safety backup gives back the drift.
psql_in prod >/dev/null <<'SQL'
SET ROLE app;
CREATE TABLE public.invoices (id int PRIMARY KEY, account_id int REFERENCES public.accounts(id));
INSERT INTO public.invoices VALUES (1, 1);
CREATE TABLE extra.later (x int);
CREATE SCHEMA reporting;
CREATE TABLE reporting.daily AS SELECT 1 AS n;
ALTER TABLE public.accounts ADD COLUMN nickname text;
CREATE INDEX accounts_nick ON public.accounts (nickname);
RESET ROLE;
SQL
full_dump prod >drift.before
run 0 lbc restore --backup-id "$id" --target "$(pg_url prod)" --to ./backups --yes --json
safety=$(json_field "$OUT" 'd["safety_backup"]')
[[ $(json_field "$OUT" 'd["committed"]') == True ]] || fail "committed: $OUT"
[[ $(json_field "$OUT" '" ".join(d["replaced_schemas"])') == "extra public reporting" ]] || fail "replaced: $OUT"
[[ $(json_field "$OUT" '" ".join(sorted(d["removed_tables"]))') == '"extra"."later" "public"."invoices" "reporting"."daily"' ]] \
  || fail "removed tables: $OUT"
diff prod.before <(full_dump prod) >drift.diff || fail "not exactly the backup after drift: $(head -30 drift.diff)"
run 0 lbc restore --backup-id "$safety" --target "$(pg_url prod)" --to ./backups --yes --no-safety-backup
diff drift.before <(full_dump prod) >undo.diff || fail "the safety backup does not give the drift back: $(head -30 undo.diff)"
pass "schema drift (FK, table, schema, column, index) undone exactly; the safety backup restores the drifted state"

# ---------------------------------------------------------------------------------------
# 4. The seed scripts' `pg_dump | gzip` (no --clean) imported and restored over the live db.
mkdir -p seed
pg_dump -d prod | gzip >seed/prod-backup-20250101-040000.sql.gz
run 0 lbc import seed/prod-backup-20250101-040000.sql.gz --name prod --to ./backups
psql_in prod -c "DELETE FROM extra.audit" >/dev/null
run 0 lbc restore --backup-id prod-20250101-040000 --target "$(pg_url prod)" --to ./backups --yes
diff drift.before <(full_dump prod) >seed.diff || fail "seed dump restore differs: $(head -30 seed.diff)"
pass "a seed-style pg_dump | gzip without --clean restores over an existing database"

# ---------------------------------------------------------------------------------------
# 5. Custom format records the same counts and restores the same way.
run 0 lbc backup --db "$(pg_url prod)" --format custom --to ./backups --json
cid=$(json_field "$OUT" 'd["id"]')
crows=$(python3 -c "import json; m=json.load(open('backups/prod/$cid.manifest.json')); print(sum(t['rows'] for t in m['tables']), len(m['tables']))")
want=$(psql -XAtq -F ' ' -d prod -c "select sum((xpath('/row/c/text()', query_to_xml(format('select count(*) as c from only %I.%I', schemaname, tablename), false, true, '')))[1]::text::int), count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')")
[[ $crows == "$want" ]] || fail "custom-format counts: $crows, count(*) says $want"
run 0 lbc verify --backup-id "$cid" --deep --to ./backups --json
contains "$OUT" '"ok": true'
psql_in prod -c "DELETE FROM public.xy" >/dev/null
run 0 lbc restore --backup-id "$cid" --target "$(pg_url prod)" --to ./backups --yes --no-safety-backup
diff drift.before <(full_dump prod) >custom.diff || fail "custom restore differs: $(head -30 custom.diff)"
pass "custom format: per-table counts from the same dump, deep verify, exact in-place restore"

# ---------------------------------------------------------------------------------------
# 6. Locks never hang: an ACCESS EXCLUSIVE lock during backup, an ACCESS SHARE lock
#    during restore; both end within the timeout naming the holder.
on_exit "touch $T/release"
hold_lock() { # hold_lock MODE TABLE [DB]: a session holding the lock until $T/release
  rm -f "$T/release" "$T/lock.out"
  { echo "BEGIN; LOCK TABLE $2 IN $1 MODE; SELECT 'locked';"
    while [[ ! -e $T/release ]]; do sleep 0.1; done; } 2>/dev/null \
    | PGAPPNAME=lock-holder psql -XAtq -d "${3:-prod}" >"$T/lock.out" 2>&1 &
  holder=$!
  for _ in $(seq 100); do grep -q locked "$T/lock.out" 2>/dev/null && return; sleep 0.1; done
  fail "the lock was never taken"
}
hold_lock "ACCESS EXCLUSIVE" public.accounts
start=$SECONDS
run 1 lbc backup --db "$(pg_url prod)" --to ./backups
(( SECONDS - start < 20 )) || fail "backup waited $((SECONDS - start))s"
contains "$ERR" "waited 3s for a lock on public.accounts"
contains "$ERR" "application 'lock-holder'"
contains "$ERR" "AccessExclusiveLock on public.accounts"
touch "$T/release"; wait $holder 2>/dev/null
pass "a backup behind an ACCESS EXCLUSIVE lock fails in seconds, naming the holder"

hold_lock "ACCESS SHARE" extra.audit
start=$SECONDS
run 1 lbc restore --backup-id "$id" --target "$(pg_url prod)" --to ./backups --yes --no-safety-backup
(( SECONDS - start < 30 )) || fail "restore waited $((SECONDS - start))s"
contains "$ERR" "waited for a lock and gave up; it was rolled back, nothing was changed"
contains "$ERR" "application 'lock-holder'"
contains "$ERR" "AccessShareLock on extra.audit"
diff drift.before <(full_dump prod) >lock.diff || fail "a timed-out restore changed the target"
run 0 lbc restore --backup-id "$id" --target "$(pg_url prod)" --to ./backups --yes --no-safety-backup \
  --terminate-connections
contains "$ERR$OUT" "ended 1 other session"
touch "$T/release"; wait $holder 2>/dev/null
diff prod.before <(full_dump prod) >term.diff || fail "restore after terminate differs: $(head term.diff)"
pass "a restore behind an ACCESS SHARE lock fails in seconds, naming the holder; --terminate-connections succeeds"

# ---------------------------------------------------------------------------------------
# 7. The restore's connection is cut before COMMIT (an administrator, a failover): the
#    report says rolled back, and the target is as it was. The restore is held at its
#    first statement by a reader's lock; its script is far larger than the pipe, so psql
#    has not read it all when its backend is terminated.
createdb cut
psql -XAtq -d cut -c "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 4) AS pad FROM generate_series(1, 100000) g" >/dev/null
run 0 lb backup --db "$(pg_url cut)" --to ./backups --name cut --json
cut_id=$(json_field "$OUT" 'd["id"]')
psql -XAtq -d cut -c "INSERT INTO big VALUES (0, 'after the backup')" >/dev/null
full_dump cut >cut.before
hold_lock "ACCESS SHARE" public.big cut
"$LIFEBOAT" restore --backup-id "$cut_id" --target "$(pg_url cut)" --to ./backups --yes \
  --no-safety-backup >cut.out 2>cut.err &
restorer=$!
victim=
for _ in $(seq 200); do
  victim=$(psql -XAtq -d postgres -c "select pid from pg_stat_activity where datname = 'cut' and cardinality(pg_blocking_pids(pid)) > 0 limit 1")
  [[ -n $victim ]] && break
  sleep 0.1
done
[[ -n $victim ]] || fail "the restore never waited for the lock"
psql -XAtq -d postgres -c "select pg_terminate_backend($victim)" >/dev/null
rc=0; wait $restorer || rc=$?
touch "$T/release"; wait $holder 2>/dev/null
[[ $rc == 1 ]] || fail "a cut connection exited $rc: $(cat cut.err)"
contains "$(cat cut.err)" "lost during the restore, before COMMIT: it was rolled back, nothing was changed"
diff cut.before <(full_dump cut) >cut.diff || fail "a cut restore changed the target: $(head cut.diff)"
pass "a connection cut before COMMIT is reported rolled back, and the target is untouched"
