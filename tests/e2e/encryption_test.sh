#!/usr/bin/env bash
# age encryption through the real binary: keygen; encrypted backups that hold no
# plaintext and no secret; restores and deep verifies that need the right identity
# or passphrase and change nothing without it; [encryption] in the configuration is
# never silently skipped (safety backups included); tampering is caught by age's
# authentication even when the checksums were rewritten; the objects open with the
# ordinary age tool; and memory stays constant.
source "$(dirname "$0")/lib.sh"
command -v age >/dev/null && command -v age-keygen >/dev/null || skip "age is not installed"
unset LIFEBOAT_PASSPHRASE
# No knob of the environment weakens the KDF: the release binary always writes scrypt
# work factor 18 (each passphrase operation here costs about a second for that).

counts() { sqlite3 "$1" "select (select count(*) from customers) || '/' || (select count(*) from orders)"; }
manifest() { cat "$1"/*/"$2".manifest.json; }
nbackups() { find "$1" -name '*.manifest.json' 2>/dev/null | wc -l; }
# tamper ID KIND ARG [rewrite]: damages backup ID in ./tb, starting from the
# pristine copies: flip the byte at offset ARG, trunc to ARG bytes, or append ARG
# random bytes (KIND none: restore it). With "rewrite", the .sha256 line and the
# manifest's sha256 and size are made to match the damaged object, as an attacker
# who can rewrite the whole storage would do.
tamper() {
  python3 - "$@" <<'PY'
import hashlib, json, os, sys
tid, kind, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = 'tb/app/' + tid
b = bytearray(open('pristine.age', 'rb').read())
if kind == 'flip':
    b[arg] ^= 0x01
elif kind == 'trunc':
    del b[arg:]
elif kind == 'append':
    b += os.urandom(arg)
open(base + '.db.zst.age', 'wb').write(b)
sidecar, manifest = open('pristine.sha256').read(), open('pristine.manifest.json').read()
if len(sys.argv) > 4 and sys.argv[4] == 'rewrite':
    h = hashlib.sha256(b).hexdigest()
    sidecar = h + '  ' + tid + '.db.zst.age\n'
    m = json.loads(manifest)
    m['data']['sha256'], m['data']['size'] = h, len(b)
    manifest = json.dumps(m, indent=2)
open(base + '.sha256', 'w').write(sidecar)
open(base + '.manifest.json', 'w').write(manifest)
PY
}
# A restore target that already holds known content; it must survive every failure.
make_target() {
  rm -f target.db target.db-wal target.db-shm target.db-journal
  sqlite3 target.db "CREATE TABLE keep (x TEXT); INSERT INTO keep VALUES ('known content $RANDOM');"
  target_sum=$(sha256sum target.db)
}
target_untouched() { # target_untouched WHAT
  [[ $(sha256sum target.db) == "$target_sum" ]] || fail "restore target changed: $1"
  [[ ! -e target.db-wal && ! -e target.db-journal ]] || fail "restore target gained a journal: $1"
  [[ -z $(ls -A . | grep lifeboat-restore) ]] || fail "temporary restore file left behind: $1"
}

# ---- 1. keygen ---------------------------------------------------------------
run 0 lb keygen -o key.txt
contains "$OUT" "Public key: age1"
pub=$(sed -n 's/^Public key: //p' <<<"$OUT")
[[ $(stat -c %a key.txt) == 600 ]] || fail "key.txt has mode $(stat -c %a key.txt), not 600"
[[ $(age-keygen -y key.txt) == "$pub" ]] || fail "age-keygen -y derives another public key than '$pub'"
grep -q '^AGE-SECRET-KEY-1' key.txt || fail "key.txt holds no AGE-SECRET-KEY-1 line"
not_contains "$OUT$ERR" "AGE-SECRET-KEY" "keygen -o output"
key_sum=$(sha256sum key.txt)
run 2 lb keygen -o key.txt
contains "$ERR" "key.txt"; contains "$ERR" "already exists"
[[ $(sha256sum key.txt) == "$key_sum" ]] || fail "a second keygen changed key.txt"
(umask 000; lb keygen -o loose.txt >/dev/null 2>&1) || fail "keygen under umask 000"
[[ $(stat -c %a loose.txt) == 600 ]] || fail "keygen under umask 000 gave mode $(stat -c %a loose.txt)"
run 0 lb keygen -o other.txt
other_pub=$(sed -n 's/^Public key: //p' <<<"$OUT")
run 0 lb keygen -o third.txt
third_pub=$(sed -n 's/^Public key: //p' <<<"$OUT")
[[ $pub != "$other_pub" && $other_pub != "$third_pub" ]] || fail "keygen repeated a key"
pass "keygen writes a 0600 identity that age-keygen reads, and never overwrites one"

# ---- 2. an encrypted backup holds no plaintext and no secret -----------------------
make_db app.db 3000
want=$(counts app.db)
run 0 lb backup --db app.db --to ./backups --encrypt-to "$pub" --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["key"]') == "app/$id.db.zst.age" ]] || fail "key is not .db.zst.age: $OUT"
obj=backups/app/$id.db.zst.age
[[ -f $obj ]] || fail "no $obj"
[[ $(ls backups/app | grep -v -e '\.age$' -e '\.sha256$' -e '\.manifest\.json$') == "" ]] \
  || fail "unexpected files next to the encrypted object: $(ls backups/app)"
[[ ! -e backups/app/$id.db.zst && ! -e backups/app/$id.db ]] || fail "a plaintext object exists"
[[ $(head -c 21 "$obj") == "age-encryption.org/v1" ]] || fail "object does not start with the age header"
! grep -a -q "SQLite format 3" "$obj" || fail "the SQLite header is readable in the encrypted object"
! grep -a -q "customer 1" "$obj" || fail "row content is readable in the encrypted object"
(cd backups/app && sha256sum -c "$id.sha256" >/dev/null) || fail "sha256sum -c fails on the encrypted object"
m=$(manifest backups "$id")
[[ $(json_field "$m" 'd["data"]["encrypted"]') == True ]] || fail "manifest: encrypted is not true"
[[ $(json_field "$m" '",".join(d["data"]["recipients"])') == "$pub" ]] || fail "manifest recipients: $m"
! grep -r -q -i "AGE-SECRET-KEY" backups || fail "a secret key is in the storage"
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" 'd[0]["encrypted"]') == True ]] || fail "list --json: encrypted is not true"
run 0 lb verify --backup-id "$id" --to ./backups
contains "$OUT" "ok"
pass "an encrypted backup is an age file with no plaintext, the manifest names its recipient"

# ---- 3. restore and verify need the identity, and change nothing without it ----------
run 0 lb restore --backup-id "$id" --identity key.txt --target new.db --yes --to ./backups
[[ $(counts new.db) == "$want" ]] || fail "restored counts $(counts new.db), expected $want"
[[ $(sqlite3 new.db 'pragma integrity_check') == ok ]] || fail "restored integrity"
run 0 lb verify --backup-id "$id" --deep --identity key.txt --to ./backups
contains "$OUT" "ok"; contains "$OUT" "row counts"
pass "restore --identity and verify --deep --identity work"

make_target
n=$(nbackups backups)
run 2 lb restore --backup-id "$id" --target target.db --yes --to ./backups
contains "$ERR" "$id"; contains "$ERR" "no identity"
target_untouched "restore without --identity"
run 2 lb verify --backup-id "$id" --deep --to ./backups
contains "$ERR" "$id"; contains "$ERR" "no identity"
run 2 lb restore --backup-id "$id" --target target.db --yes --identity other.txt --to ./backups
contains "$ERR" "$id"; contains "$ERR" "none of which matches the identity in"; contains "$ERR" "other.txt"
contains "$ERR" "$pub"
target_untouched "restore with another identity"
run 2 lb verify --backup-id "$id" --deep --identity other.txt --to ./backups
contains "$ERR" "none of which matches the identity in"; contains "$ERR" "other.txt"
run 2 lb restore --backup-id "$id" --target target.db --yes --identity missing-key.txt --to ./backups
contains "$ERR" "missing-key.txt"
target_untouched "restore with a missing identity file"
run 2 lb restore --backup-id "$id" --target target.db --yes --identity app.db --to ./backups
contains "$ERR" "app.db"
target_untouched "restore with a file that is not an identity"
# A damaged secret key (one character changed): refused without echoing the key.
secret=$(grep '^AGE-SECRET-KEY-1' key.txt)
last=${secret: -1}; [[ $last == q ]] && repl=p || repl=q
(umask 077; echo "${secret%?}$repl" > damaged-key.txt)
run 2 lb restore --backup-id "$id" --target target.db --yes --identity damaged-key.txt --to ./backups
contains "$ERR" "damaged-key.txt"
not_contains "$ERR" "${secret:16:30}" "the error for a damaged key"
target_untouched "restore with a damaged identity"
# An identity file of more than 64 KiB (keys after a megabyte of comments were silently
# ignored before): refused as the wrong file, before it is read into memory.
(umask 077; { head -c 70000 /dev/zero | tr '\0' '#'; echo; cat key.txt; } > huge-key.txt)
run 2 lb restore --backup-id "$id" --target target.db --yes --identity huge-key.txt --to ./backups
contains "$ERR" "identity file 'huge-key.txt' is larger than 64 KiB"
target_untouched "restore with an oversized identity file"
[[ $(nbackups backups) == "$n" ]] || fail "a failed restore stored a safety backup"
pass "without the right identity, restore and verify --deep exit 2, say why, and change nothing"

# ---- 4. two recipients: each identity alone opens it --------------------------------
run 0 lb backup --db app.db --to ./two --encrypt-to "$pub" --encrypt-to "$other_pub" --json
id2=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$(manifest two "$id2")" '",".join(d["data"]["recipients"])') == "$pub,$other_pub" ]] \
  || fail "manifest does not list both recipients"
for k in key.txt other.txt; do
  rm -f "two-$k.db"
  run 0 lb restore --backup-id "$id2" --identity "$k" --target "two-$k.db" --to ./two
  [[ $(counts "two-$k.db") == "$want" ]] || fail "restore of the two-recipient backup with $k"
  run 0 lb verify --backup-id "$id2" --deep --identity "$k" --to ./two
done
run 2 lb restore --backup-id "$id2" --identity third.txt --target two-third.db --to ./two
contains "$ERR" "none of which matches the identity in"; contains "$ERR" "$pub"; contains "$ERR" "$other_pub"
[[ ! -e two-third.db ]] || fail "a failed restore created its target"
pass "a backup to two recipients opens with either identity alone, and not with a third"

# ---- 5. [encryption] in the configuration -------------------------------------
mkdir cfg
cat > cfg/lifeboat.toml <<TOML
[storage]
url = "$T/cb"
[encryption]
recipients = ["$pub"]
identity_file = "$T/key.txt"
[[database]]
name = "app"
url = "$T/app.db"
TOML
run 0 lb --config cfg/lifeboat.toml config show
contains "$OUT" "$pub"; contains "$OUT" "encryption.identity_file"
not_contains "$OUT" "AGE-SECRET-KEY" "config show"
not_contains "$OUT" "$(grep '^AGE-SECRET-KEY' key.txt)" "config show"
run 0 lb --config cfg/lifeboat.toml backup
contains "$OUT" "encrypted"
run 0 lb --config cfg/lifeboat.toml list --json
[[ $(json_field "$OUT" 'len(d)') == 1 ]] || fail "configured backup not listed"
cid=$(json_field "$OUT" 'd[0]["id"]')
[[ $(json_field "$OUT" 'd[0]["encrypted"]') == True ]] || fail "configured backup is not encrypted"
[[ -f cb/app/$cid.db.zst.age && ! -e cb/app/$cid.db.zst ]] || fail "configured backup is not a .age object"
[[ $(head -c 21 "cb/app/$cid.db.zst.age") == "age-encryption.org/v1" ]] || fail "configured object is no age file"
[[ $(json_field "$(manifest cb "$cid")" '",".join(d["data"]["recipients"])') == "$pub" ]] || fail "recipients"
# Restoring over the configured database takes a safety backup: encrypted too.
sqlite3 app.db "INSERT INTO customers(name) VALUES ('after the backup')"
run 0 lb --config cfg/lifeboat.toml restore --latest --yes
contains "$OUT" "safety backup"
run 0 lb --config cfg/lifeboat.toml list --json
sid=$(json_field "$OUT" '[e["id"] for e in d if e["safety"]][0]')
[[ $(json_field "$OUT" "[e['encrypted'] for e in d if e['id'] == '$sid'][0]") == True ]] \
  || fail "the safety backup is not encrypted: $OUT"
[[ -f cb/app/$sid.db.zst.age && ! -e cb/app/$sid.db.zst ]] || fail "the safety backup is not a .age object"
[[ $(head -c 21 "cb/app/$sid.db.zst.age") == "age-encryption.org/v1" ]] || fail "safety object is no age file"
! grep -a -q "SQLite format 3" "cb/app/$sid.db.zst.age" || fail "the safety backup holds plaintext"
[[ $(counts app.db) == "$want" ]] || fail "configured restore did not restore"
# Undo through the safety backup, with the configured identity_file.
run 0 lb --config cfg/lifeboat.toml restore --backup-id "$sid" --target undo.db
[[ $(sqlite3 undo.db "select count(*) from customers where name = 'after the backup'") == 1 ]] \
  || fail "the safety backup does not hold the previous content"
! grep -r -q -i "AGE-SECRET-KEY" cb || fail "a secret key is in the configured storage"
pass "configured recipients encrypt plain 'backup' and the safety backup of a restore"

# Configured encryption that cannot be done fails before anything is stored.
sed "s|recipients = .*|recipients = [\"age1notakey\"]|" cfg/lifeboat.toml > cfg/bad.toml
n=$(nbackups cb)
run 2 lb --config cfg/bad.toml backup
contains "$ERR" "age1notakey"
sed "s|^\[encryption\]|[encryption]\npassphrase = \"also-a-passphrase\"|" cfg/lifeboat.toml > cfg/both.toml
run 2 lb --config cfg/both.toml backup
contains "$ERR" "passphrase"; not_contains "$ERR" "also-a-passphrase"
run 2 lb backup --db app.db --to ./cb --encrypt-to "${pub}x"
[[ $(nbackups cb) == "$n" ]] || fail "a refused encrypted backup stored something"
[[ -z $(find cb -name '*.age' -newer cfg/bad.toml) ]] || fail "a refused encrypted backup left an object"
pass "unusable encryption settings exit 2 and store nothing (never a plaintext fallback)"

# ---- 6. a passphrase (scrypt) -------------------------------------------------
pass_phrase="correct horse $RANDOM battery staple"
seen=""
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb backup --db app.db --to ./pb --json --verbose
seen+="$OUT$ERR"
pid=$(json_field "$OUT" 'd["id"]')
pobj=pb/app/$pid.db.zst.age
[[ -f $pobj ]] || fail "no $pobj"
[[ $(json_field "$(manifest pb "$pid")" 'd["data"]["recipients"]') == "['scrypt']" ]] \
  || fail "passphrase manifest recipients: $(manifest pb "$pid")"
head -c 200 "$pobj" | grep -a -q -- "-> scrypt " || fail "no scrypt stanza in $pobj"
head -c 200 "$pobj" | grep -a -q -E -- "^-> scrypt [A-Za-z0-9+/]{22} 18$" \
  || fail "the scrypt work factor of $pobj is not 18: $(head -c 200 "$pobj" | grep -a scrypt)"
# Every LIFEBOAT_* variable set to a tiny value (as a knob might be named) changes nothing.
(
  for v in SCRYPT_WORK_FACTOR WORK_FACTOR SCRYPT_N SCRYPT_LOG_N KDF_WORK_FACTOR SCRYPT \
           AGE_WORK_FACTOR TEST_SCRYPT FAST_SCRYPT WORKFACTOR; do
    export "LIFEBOAT_$v=1"
  done
  while IFS= read -r name; do export "$name=1"; done < <(
    strings "$LIFEBOAT" | grep -o -E '^LIFEBOAT_[A-Z0-9_]+$' | grep -v -E '^LIFEBOAT_(PASSPHRASE|STORAGE)$' | sort -u)
  LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb backup --db app.db --to ./pb-knobs --json --no-prune
)
kobj=$(ls pb-knobs/app/*.db.zst.age)
head -c 200 "$kobj" | grep -a -q -E -- "^-> scrypt [A-Za-z0-9+/]{22} 18$" \
  || fail "with every LIFEBOAT_* variable set to 1 the work factor is not 18: $(head -c 200 "$kobj" | grep -a scrypt)"
pass "a passphrase backup has scrypt work factor 18 whatever LIFEBOAT_* variables say"
rm -f pp.db
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb restore --latest --target pp.db --to ./pb --verbose
seen+="$OUT$ERR"
[[ $(counts pp.db) == "$want" ]] || fail "passphrase restore counts"
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb verify --latest --deep --to ./pb
seen+="$OUT$ERR"
make_target
LIFEBOAT_PASSPHRASE="wrong $pass_phrase" run 2 lb restore --latest --target target.db --yes --to ./pb
seen+="$OUT$ERR"
contains "$ERR" "passphrase does not open"; contains "$ERR" "$pid"
target_untouched "restore with a wrong passphrase"
LIFEBOAT_PASSPHRASE="wrong" run 2 lb verify --latest --deep --to ./pb
contains "$ERR" "passphrase does not open"
run 2 lb restore --latest --target target.db --yes --to ./pb
contains "$ERR" "$pid"; contains "$ERR" "encrypted with a passphrase, and none is given"
target_untouched "restore without a passphrase"
run 2 lb restore --latest --target target.db --yes --identity key.txt --to ./pb
contains "$ERR" "$pid"; contains "$ERR" "encrypted with a passphrase, and none is given"
not_contains "$ERR" "none of which matches" "the error for an identity given to a passphrase backup"
target_untouched "restore of a passphrase backup with an identity"
# Over an existing database: the safety backup is encrypted with the passphrase too.
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb restore --latest --target target.db --yes --to ./pb
seen+="$OUT$ERR"
contains "$OUT" "safety backup"
run 0 lb list --to ./pb --json
psid=$(json_field "$OUT" '[e["id"] for e in d if e["safety"]][0]')
[[ $(json_field "$(manifest pb "$psid")" 'd["data"]["recipients"]') == "['scrypt']" ]] \
  || fail "the safety backup of a passphrase restore is not passphrase-encrypted"
# The passphrase through the configuration file, as ${VAR}: config show redacts it.
printf '[storage]\nurl = "%s/pb"\n[encryption]\npassphrase = "${LIFEBOAT_PASSPHRASE}"\n' "$T" > cfg/pass.toml
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb --config cfg/pass.toml config show
seen+="$OUT$ERR"
contains "$OUT" "encryption.passphrase"
LIFEBOAT_PASSPHRASE="$pass_phrase" run 0 lb --config cfg/pass.toml backup --db app.db --no-prune
seen+="$OUT$ERR"
contains "$OUT" "encrypted"
not_contains "$seen" "$pass_phrase" "lifeboat's output"
! grep -r -q -F "$pass_phrase" pb || fail "the passphrase is in the storage"
! grep -r -q -F "${pass_phrase// /}" pb || fail "the passphrase is in the storage"
pass "a passphrase encrypts (recipients [\"scrypt\"]), opens, is refused when wrong, never shows"

# age itself opens it, with the passphrase typed on a terminal.
if command -v script >/dev/null && command -v timeout >/dev/null \
   && timeout 10 script -qec true /dev/null </dev/null >/dev/null 2>&1; then
  timeout 30 script -qec "age -d -o '$T/age-pp.db.zst' '$T/$pobj'" /dev/null <<<"$pass_phrase" >/dev/null 2>&1
  [[ -s age-pp.db.zst ]] || fail "age -d with the passphrase on a terminal produced nothing"
  zstd -q -d age-pp.db.zst -o age-pp.db || fail "age -d output does not decompress"
  [[ $(counts age-pp.db) == "$want" ]] || fail "age -d of the passphrase backup: counts"
  pass "age -d opens a passphrase backup"
fi

# ---- 7. interop: age -d | zstd -d is the database ------------------------------
age -d -i key.txt "$obj" | zstd -q -d > by-age.db || fail "age -d -i key.txt | zstd -d failed"
[[ $(counts by-age.db) == "$want" ]] || fail "age -d | zstd -d gives counts $(counts by-age.db)"
[[ $(sqlite3 by-age.db 'pragma integrity_check') == ok ]] || fail "age -d | zstd -d integrity"
age -d -i key.txt "two/app/$id2.db.zst.age" | zstd -q -d > by-age2.db || fail "age -d of a two-recipient backup"
age -d -i other.txt "two/app/$id2.db.zst.age" | zstd -q -d > by-age3.db || fail "age -d of a two-recipient backup"
[[ $(counts by-age2.db) == "$want" && $(counts by-age3.db) == "$want" ]] || fail "age -d two recipients"
! age -d -i third.txt "two/app/$id2.db.zst.age" >/dev/null 2>&1 || fail "age -d opened it with a third key"
pass "age -d -i KEY | zstd -d opens lifeboat's encrypted objects"

# A payload of exactly one or two 64 KiB chunks (--compress none, 16 or 32 pages of
# 4 KiB) ends with a full final chunk, not an empty one, which age would reject.
for pages in 16 32; do
  sqlite3 "p$pages.db" "PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE; CREATE TABLE t (b BLOB);" >/dev/null
  while (( $(sqlite3 "p$pages.db" 'pragma page_count') < pages )); do
    sqlite3 "p$pages.db" "INSERT INTO t VALUES (randomblob(3000))"
  done
  [[ $(stat -c %s "p$pages.db") == $((pages * 4096)) ]] || fail "p$pages.db is not $pages pages"
  run 0 lb backup --db "p$pages.db" --to ./chunks --compress none --encrypt-to "$pub" --json
  cid=$(json_field "$OUT" 'd["id"]')
  cobj=chunks/p$pages/$cid.db.age
  [[ $(json_field "$OUT" 'd["uncompressed_size"]') == $((pages * 4096)) ]] || fail "uncompressed size: $OUT"
  hdr=$(grep -a -b -m1 '^--- ' "$cobj" | cut -d: -f1)
  hdr=$((hdr + 4 + 43 + 1))
  [[ $(stat -c %s "$cobj") == $((hdr + 16 + pages / 16 * (65536 + 16))) ]] \
    || fail "a $pages-page payload is not exactly $((pages / 16)) full chunks: $(stat -c %s "$cobj") bytes"
  age -d -i key.txt "$cobj" > "p$pages-by-age.db" || fail "age -d refuses a payload of whole chunks"
  [[ $(sqlite3 "p$pages-by-age.db" 'select count(*) from t') == $(sqlite3 "p$pages.db" 'select count(*) from t') ]] \
    || fail "age -d of the $pages-page payload"
  run 0 lb verify --backup-id "$cid" --deep --identity key.txt --to ./chunks
done
pass "payloads of whole 64 KiB chunks are written as age writes them, and read back"

# ---- 8. tampering --------------------------------------------------------------
run 0 lb backup --db app.db --to ./tb --encrypt-to "$pub" --json
tid=$(json_field "$OUT" 'd["id"]')
tobj=tb/app/$tid.db.zst.age
cp "$tobj" pristine.age
cp "tb/app/$tid.sha256" pristine.sha256
cp "tb/app/$tid.manifest.json" pristine.manifest.json
size=$(stat -c %s pristine.age)
(( size > 3 * 65536 )) || fail "the test object is too small ($size bytes) for several age chunks"
header_end=$(python3 -c "
b = open('pristine.age', 'rb').read(); i = b.index(b'\n--- '); print(b.index(b'\n', i + 1) + 1)")

tamper "$tid" flip $((size / 2))
run 1 lb verify --backup-id "$tid" --to ./tb
contains "$ERR" "checksum mismatch"; contains "$ERR" "$tid.db.zst.age"
make_target
run 1 lb restore --backup-id "$tid" --identity key.txt --target target.db --yes --to ./tb
contains "$ERR" "checksum mismatch"
target_untouched "restore of a flipped object"
tamper "$tid" flip $((size / 2)) rewrite
run 0 lb verify --backup-id "$tid" --to ./tb # the checksums were rewritten to match
run 1 lb verify --backup-id "$tid" --deep --identity key.txt --to ./tb
contains "$ERR" "$tid"; contains "$ERR" "failed authentication"
n=$(nbackups tb)
run 1 lb restore --backup-id "$tid" --identity key.txt --target target.db --yes --to ./tb
contains "$ERR" "$tid"; contains "$ERR" "failed authentication"
target_untouched "restore of a flipped object with rewritten checksums"
[[ $(nbackups tb) == "$n" ]] || fail "a failed restore stored a safety backup"
pass "a flipped byte: verify names the object; with rewritten checksums age's authentication fails"

# The payload nonce or the last byte flipped, truncations (mid-chunk, at chunk
# boundaries, to the header alone) and appended bytes: each with rewritten checksums.
chunk=$((65536 + 16))
for damage in "flip $header_end" "flip $((size - 1))" "trunc $((size / 2))" \
              "trunc $((header_end + 16 + chunk))" "trunc $((header_end + 16 + 2 * chunk))" \
              "trunc $((header_end + 16))" "trunc $header_end" "trunc $((size - 1))" "append 1" \
              "append $chunk"; do
  tamper "$tid" $damage rewrite
  run 1 lb verify --backup-id "$tid" --deep --identity key.txt --to ./tb
  contains "$ERR" "$tid"
  run 1 lb restore --backup-id "$tid" --identity key.txt --target target.db --yes --to ./tb
  contains "$ERR" "$tid"
  target_untouched "restore after: $damage"
done
tamper "$tid" none 0
run 0 lb verify --backup-id "$tid" --deep --identity key.txt --to ./tb
pass "truncated, extended or altered age objects fail with exit 1 even with matching checksums"

# ---- memory: constant, whatever the size ---------------------------------------
[[ -x /usr/bin/time ]] || skip "/usr/bin/time is not installed"
peak() { # peak CMD...: runs CMD, fails on error, prints max RSS in KiB
  /usr/bin/time -f "%M" -o "$T/.rss" "$@" </dev/null >/dev/null 2>"$T/.err" || fail "$* failed: $(cat "$T/.err")"
  tail -1 "$T/.rss"
}
sqlite3 big.db "CREATE TABLE m (id INTEGER PRIMARY KEY, t TEXT, b BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 350000)
  INSERT INTO m SELECT i, hex(randomblob(100)), randomblob(300) FROM n;"
big=$(stat -c %s big.db)
kb=$(peak "$LIFEBOAT" backup --db big.db --to ./mb --encrypt-to "$pub")
(( kb < 64 * 1024 )) || fail "encrypted backup of $big bytes peaked at $kb KiB"
echo "encrypted backup of big.db ($((big / 1000000)) MB): peak $((kb / 1024)) MiB"
kb=$(peak "$LIFEBOAT" restore --latest --target big-restored.db --identity key.txt --to ./mb)
(( kb < 64 * 1024 )) || fail "encrypted restore of $big bytes peaked at $kb KiB"
echo "encrypted restore of big.db: peak $((kb / 1024)) MiB"
[[ $(sqlite3 big-restored.db 'select count(*) from m') == 350000 ]] || fail "big restore rows"
pass "an encrypted backup and restore of a $((big / 1000000)) MB database stay under 64 MiB"
