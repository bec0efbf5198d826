#!/usr/bin/env bash
# A backup taken while another process inserts rows restores to a database that
# passes integrity_check with exactly the row counts of its manifest.
source "$(dirname "$0")/lib.sh"

for mode in WAL DELETE; do
  rm -rf "db-$mode.db"* backups restored.db
  JOURNAL_MODE=$mode make_db "db-$mode.db" 200000
  # The writer: many small transactions for as long as the backup runs.
  ( for i in $(seq 1 4000); do
      echo "PRAGMA busy_timeout=5000; INSERT INTO orders(customer_id, note, data) VALUES (1 + $i % 100, 'live $i', randomblob(200));"
    done | sqlite3 "db-$mode.db" >/dev/null 2>&1 ) &
  writer=$!
  on_exit "kill $writer"
  sleep 0.2
  run 0 lb backup --db "db-$mode.db" --name live --to ./backups --json
  id=$(json_field "$OUT" 'd["id"]')
  rows=$(json_field "$OUT" 'd["rows"]')
  kill -0 $writer 2>/dev/null || echo "note: writer finished before the backup ended"
  wait $writer
  run 0 lb restore --backup-id "$id" --target restored.db --to ./backups
  [[ $(sqlite3 restored.db 'pragma integrity_check') == ok ]] || fail "$mode: integrity"
  got=$(sqlite3 restored.db 'select (select count(*) from orders) + (select count(*) from customers)')
  [[ $got == "$rows" ]] || fail "$mode: restored rows $got, manifest says $rows"
  total=$(sqlite3 "db-$mode.db" 'select count(*) from orders')
  pass "$mode: backup during writes restores consistently ($rows rows in backup, $total in source now)"
done
