#!/usr/bin/env bash
# A flipped byte in a stored object makes verify and restore fail with a clear
# message, while the restore target stays untouched.
source "$(dirname "$0")/lib.sh"

make_db app.db 20000
run 0 lb backup --db app.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
obj=backups/app/$id.db.zst
size=$(stat -c %s "$obj")

flip() { # flip FILE OFFSET
  python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[off] ^= 0x01; open(p, 'wb').write(b)
PY
}

cp "$obj" pristine
for off in $((size / 2)) 0 $((size - 1)); do
  cp pristine "$obj"
  flip "$obj" $off
  run 1 lb verify --backup-id "$id" --to ./backups
  contains "$ERR" "checksum mismatch"; contains "$ERR" "$id.db.zst"
  run 1 lb verify --backup-id "$id" --deep --to ./backups
  contains "$ERR" "checksum mismatch"
  sqlite3 app.db "insert into customers(name) values ('keep me $off')"
  before=$(sha256sum app.db app.db-wal 2>/dev/null)
  run 1 lb restore --backup-id "$id" --to ./backups --yes
  contains "$ERR" "checksum mismatch"
  [[ $(sha256sum app.db app.db-wal 2>/dev/null) == "$before" ]] || fail "target changed"
  [[ -z $(ls -A . | grep lifeboat-restore) ]] || fail "temporary restore file left behind"
  pass "flipped byte at offset $off: verify and restore fail clearly, target untouched"
done

# A damaged checksum file or manifest is caught too.
cp pristine "$obj"
run 0 lb verify --backup-id "$id" --to ./backups
cp "backups/app/$id.sha256" sidecar
# Change the first hex digit to another one (a digest may start with 0 already).
sed -i 's/^0/1/;t;s/^./0/' "backups/app/$id.sha256"
cmp -s sidecar "backups/app/$id.sha256" && fail "the sidecar was not changed"
run 1 lb verify --backup-id "$id" --to ./backups
contains "$ERR" "does not match"
pass "a changed .sha256 file is caught"

# A truncated object.
cp sidecar "backups/app/$id.sha256"
head -c $((size / 2)) pristine > "$obj"
run 1 lb verify --backup-id "$id" --to ./backups
contains "$ERR" "$id.db.zst"
pass "a truncated object is caught"
