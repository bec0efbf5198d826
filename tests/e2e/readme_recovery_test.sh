#!/usr/bin/env bash
# Runs the by-hand recovery commands of the README (the block between the
# "recovery-sqlite" markers) on a real backup, with no lifeboat involved.
source "$(dirname "$0")/lib.sh"

readme="$LIFEBOAT_SOURCE_DIR/README.md"
block=$(awk '/<!-- test: recovery-sqlite begin -->/{f=1;next} /<!-- test: recovery-sqlite end -->/{f=0} f' "$readme" \
        | sed -n '/^```/,/^```/p' | sed '1d;$d')
[[ -n $block ]] || fail "README has no recovery-sqlite block"

make_db app.db 3000
run 0 lb backup --db app.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
# The README's commands use these names, as a user would fill them in.
export BACKUPS="$T/backups" ID="$id" NAME=app
mkdir recovered && cd recovered
bash -euxo pipefail -c "$block" || fail "README recovery commands failed:
$block"
[[ -f app.db ]] || fail "README recovery did not produce app.db"
[[ $(sqlite3 app.db 'pragma integrity_check') == ok ]] || fail "recovered db integrity"
[[ $(sqlite3 app.db 'select count(*) from orders') == 3000 ]] || fail "recovered rows"
pass "the README's by-hand recovery works without lifeboat"

# And it refuses a damaged object at the sha256sum step.
cd "$T"
printf '\x00' | dd of="backups/app/$id.db.zst" bs=1 seek=100 conv=notrunc 2>/dev/null
mkdir recovered2 && cd recovered2
if bash -euo pipefail -c "$block" >/dev/null 2>&1; then
  fail "README recovery accepted a damaged backup"
fi
pass "the README's recovery stops at sha256sum -c on a damaged object"
