#!/usr/bin/env bash
# `make demo`: the main job on the embedded default. Creates a sample SQLite
# database, backs it up into ./demo-backups, lists, verifies and restores it,
# saying what it does at each step.
set -euo pipefail
lifeboat=${1:-build/src/app/lifeboat}
lifeboat=$(realpath "$lifeboat")
cd "$(dirname "$0")/.."
mkdir -p demo
db=demo/app.db

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

if [[ ! -f $db ]]; then
  echo "creating a sample database $db (customers, orders, a foreign key, 20 000 rows)"
  sqlite3 "$db" >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
PRAGMA foreign_keys=ON;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, created_at TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
                     total_cents INTEGER, note TEXT, receipt BLOB);
CREATE INDEX orders_customer ON orders(customer_id);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customers SELECT i, 'Customer ' || i, 'c' || i || '@example.com', datetime('now', '-' || i || ' hours') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 18000)
INSERT INTO orders SELECT i, 1 + (i % 2000), (i * 7919) % 100000, 'order ' || i || ' – ünïcödé', randomblob(64) FROM n;
SQL
fi

step "back up $db into ./demo-backups" "$lifeboat" backup --db "$db" --to ./demo-backups
step "list the backups" "$lifeboat" list --to ./demo-backups
step "verify the newest one deeply (checksum, decompress, integrity check, row counts)" \
  "$lifeboat" verify --latest --deep --to ./demo-backups
rm -f demo/restored.db
step "restore it into a new database demo/restored.db" \
  "$lifeboat" restore --latest --target demo/restored.db --to ./demo-backups --yes
echo
echo "row counts: original $(sqlite3 "$db" 'select count(*) from orders') orders," \
     "restored $(sqlite3 demo/restored.db 'select count(*) from orders') orders"
echo "by hand, without lifeboat: (cd demo-backups/app && sha256sum -c *.sha256) and zstd -d"
echo "demo done: the backups are in ./demo-backups, the restored copy in demo/restored.db"
