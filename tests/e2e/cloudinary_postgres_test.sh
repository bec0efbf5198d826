#!/usr/bin/env bash
# The README's Cloudinary section, as the seed document's backup-postgres.py did it:
# DATABASE_URL and the three CLOUDINARY_* variables, a gzip-compressed plain dump
# (.sql.gz) stored in Cloudinary (the fake, tests/e2e/cloudinary.sh), listed, downloadable
# with `lifeboat url` and curl, readable with gunzip, and restored.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/pg.sh"
source "$E2E_DIR/cloudinary.sh"
start_pg
start_cld
createdb droplink
psql_in droplink >/dev/null <<'SQL'
CREATE TABLE links (id serial PRIMARY KEY, url text NOT NULL);
INSERT INTO links (url) SELECT 'https://example.com/' || g FROM generate_series(1, 500) g;
SQL
export DATABASE_URL=$(pg_url droplink)
url="$(cld_url backups)"
# The README's commands, the storage URL pointed at the fake.
run 0 lb backup --name droplink-postgres --compress gzip --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
key=$(json_field "$OUT" 'd["key"]')
[[ $key == droplink-postgres/droplink-postgres-*.sql.gz ]] || fail "the backup is stored as '$key', not a .sql.gz"
run 0 lb list --to "$url" --json
contains "$OUT" "$id"
run 0 lb url --backup-id "$id" --expires 1h --to "$url"
curl -sf -o dump.sql.gz "$OUT" || fail "the download URL did not download"
gunzip -c dump.sql.gz | grep -q "PostgreSQL database dump complete" || fail "gunzip does not give a pg_dump script"
createdb staging
run 0 lb restore --backup-id "$id" --target "$(pg_url staging)" --yes --no-safety-backup --to "$url"
[[ $(psql_in staging -At -c "select count(*) from links") == 500 ]] || fail "restored rows"
pass "PostgreSQL to Cloudinary as backup-postgres.py did: DATABASE_URL, CLOUDINARY_*, .sql.gz; restored"
