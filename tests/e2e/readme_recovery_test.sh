#!/usr/bin/env bash
# Runs the by-hand recovery commands of the README (the block between the
# "recovery-sqlite" markers) on a real backup, with no lifeboat involved.
source "$(dirname "$0")/lib.sh"

readme="$LIFEBOAT_SOURCE_DIR/README.md"
readme_block() { # readme_block MARKER: the shell block between the README's test markers
  awk "/<!-- test: $1 begin -->/{f=1;next} /<!-- test: $1 end -->/{f=0} f" "$readme" \
    | sed -n '/^```/,/^```/p' | sed '1d;$d'
}
recover() { # recover BLOCK WHAT: runs the block in a new directory and checks its app.db
  cd "$(mktemp -d "$T/recovered.XXXX")" || fail "mktemp"
  bash -euxo pipefail -c "$1" || fail "README $2 commands failed:
$1"
  [[ -f app.db ]] || fail "README $2 did not produce app.db"
  [[ $(sqlite3 app.db 'pragma integrity_check') == ok ]] || fail "$2: integrity of app.db"
  [[ $(sqlite3 app.db 'select count(*) from orders') == 3000 ]] || fail "$2: rows of app.db"
}
block=$(readme_block recovery-sqlite)
[[ -n $block ]] || fail "README has no recovery-sqlite block"

make_db app.db 3000
run 0 lb backup --db app.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
# The README's commands use these names, as a user would fill them in.
export BACKUPS="$T/backups" ID="$id" NAME=app
recover "$block" recovery
pass "the README's by-hand recovery works without lifeboat"

# And it refuses a damaged object at the sha256sum step.
cd "$T"
printf '\x00' | dd of="backups/app/$id.db.zst" bs=1 seek=100 conv=notrunc 2>/dev/null
mkdir recovered2 && cd recovered2
if bash -euo pipefail -c "$block" >/dev/null 2>&1; then
  fail "README recovery accepted a damaged backup"
fi
pass "the README's recovery stops at sha256sum -c on a damaged object"

# The encrypted variant (the block between the "recovery-age" markers): the same
# by hand, with the ordinary age tool and the identity file 'lifeboat keygen' wrote.
cd "$T"
age_block=$(readme_block recovery-age)
[[ -n $age_block ]] || fail "README has no recovery-age block"
command -v age >/dev/null || skip "age is not installed"
run 0 lb keygen -o "$T/key.txt"
pub=$(sed -n 's/^Public key: //p' <<<"$OUT")
run 0 lb backup --db app.db --to ./encrypted --encrypt-to "$pub" --json
eid=$(json_field "$OUT" 'd["id"]')
[[ -f encrypted/app/$eid.db.zst.age ]] || fail "the encrypted backup is not $eid.db.zst.age"
export BACKUPS="$T/encrypted" ID="$eid" NAME=app KEY="$T/key.txt"
recover "$age_block" "age recovery"
pass "the README's by-hand recovery of an encrypted backup works without lifeboat"

# Another identity does not open it, and a damaged object stops at sha256sum -c.
cd "$T"
run 0 lb keygen -o "$T/other.txt"
mkdir recovered-age2 && cd recovered-age2
if KEY="$T/other.txt" bash -euo pipefail -c "$age_block" >/dev/null 2>&1; then
  fail "README age recovery worked with another identity"
fi
cd "$T"
printf '\x00' | dd of="encrypted/app/$eid.db.zst.age" bs=1 seek=1000 conv=notrunc 2>/dev/null
mkdir recovered-age3 && cd recovered-age3
if bash -euo pipefail -c "$age_block" >/dev/null 2>&1; then
  fail "README age recovery accepted a damaged backup"
fi
pass "the README's age recovery refuses another identity and a damaged object"
