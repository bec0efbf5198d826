# tests/e2e/pg.sh: a real PostgreSQL 15 server for one test, in a temporary
# directory on a free loopback port, stopped when the test exits. Source it after
# lib.sh and call start_pg; it sets PGHOST, PGPORT, PGUSER, PG_PASSWORD and pg_url.
start_pg() {
  local bin=/usr/lib/postgresql/15/bin
  [[ -x $bin/initdb ]] || skip "PostgreSQL 15 server is not installed ($bin/initdb)"
  PGDATA_DIR=$(mktemp -d /tmp/lifeboat-pg.XXXXXX)
  chmod 755 "$PGDATA_DIR"
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || skip "no 'postgres' user to run the server as"
    chown postgres "$PGDATA_DIR"
    as=(env -C / runuser -u postgres --)
  fi
  PG_PASSWORD="pw-$RANDOM-secret"
  echo "$PG_PASSWORD" > "$PGDATA_DIR/.pw"
  chmod 644 "$PGDATA_DIR/.pw"
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as[@]}" "$bin/initdb" -D "$PGDATA_DIR/data" -U lifeboat --auth=scram-sha-256 \
    --pwfile="$PGDATA_DIR/.pw" -E UTF8 --locale=C.UTF-8 >"$PGDATA_DIR/initdb.log" 2>&1 \
    || fail "initdb failed: $(cat "$PGDATA_DIR/initdb.log")"
  "${as[@]}" "$bin/pg_ctl" -D "$PGDATA_DIR/data" -l "$PGDATA_DIR/server.log" -w -t 60 \
    -o "-p $PGPORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || fail "postgres did not start: $(cat "$PGDATA_DIR/server.log")"
  on_exit "${as[*]} $bin/pg_ctl -D $PGDATA_DIR/data -m immediate stop; rm -rf $PGDATA_DIR"
  export PGHOST=127.0.0.1 PGPORT PGUSER=lifeboat PGPASSWORD="$PG_PASSWORD" PGDATABASE=postgres
}

# pg_url DB: the URL of database DB, password included.
pg_url() { echo "postgres://lifeboat:$PG_PASSWORD@127.0.0.1:$PGPORT/$1"; }
# psql_in DB SQL...: runs SQL in DB, stopping at the first error.
psql_in() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
