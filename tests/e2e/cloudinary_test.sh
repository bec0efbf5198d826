#!/usr/bin/env bash
# Cloudinary storage end to end, against the fake Cloudinary on loopback (tests/e2e/
# cloudinary.sh; it checks signatures, timestamps, Basic auth and chunks as the service
# does): backup, list, verify and restore of a SQLite database; a chunked upload; a signed
# private download URL that curl fetches and that dies after its expiry; the Admin API
# calls of a nightly run with 54 backups stored; a wrong secret, a rate limit and a 5xx in
# the middle of a chunked upload.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/cloudinary.sh"
export FAKE_CLD_MIN_CHUNK=$((1024 * 1024)) FAKE_CLD_RAW_MAX_SIZE=$((100 * 1024 * 1024))
start_cld
opts="chunk_size=1048576&min_chunk_size=1048576"

make_db app.db 3000
url=$(cld_url team "$opts")
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
key=$(json_field "$OUT" 'd["key"]')
not_contains "$OUT$ERR" "$CLOUDINARY_API_SECRET" "backup output"
run 0 lb list --to "$url" --json
contains "$OUT" "$id"
run 0 lb verify --backup-id "$id" --deep --to "$url"
run 0 lb restore --backup-id "$id" --target restored.db --yes --to "$url"
[[ $(sqlite3 restored.db "select count(*) from orders") == 3000 ]] || fail "restored rows"
[[ $(cld_count 'r["api"] in ("upload", "chunk") and r["status"] != 200') == 0 ]] || fail "the fake refused an upload"
pass "backup, list, verify --deep and restore through cloudinary://"

# The objects are private raw resources under the prefix, public_id = key.
[[ $(cld_count "r['api'] == 'upload' and r['status'] == 200") -ge 3 ]] || fail "data, checksum, manifest"
run 0 lb url --backup-id "$id" --expires 5m --to "$url"
signed=$OUT
contains "$signed" "/raw/download?"
contains "$signed" "expires_at="
contains "$signed" "type=private"
not_contains "$signed" "$CLOUDINARY_API_SECRET" "the signed URL"
curl -sf -o via-url.bin "$signed" || fail "the signed download URL did not download"
run 0 lb url --backup-id "$id" --expires 1s --to "$url"
short=$OUT
curl -sf -o /dev/null "$short" || fail "a fresh 1 s URL did not download"
sleep 2.2
code=$(curl -s -o /dev/null -w '%{http_code}' "$short")
[[ $code == 401 ]] || fail "an expired download URL answered $code"
pass "lifeboat url prints a signed, expiring private download URL; curl downloads it, then gets 401"

# A backup larger than a chunk goes up in chunks (X-Unique-Upload-Id, Content-Range) and
# comes back whole.
head -c 3500000 /dev/urandom > big.bin
sqlite3 big.db "create table b(x blob); insert into b values (readfile('big.bin'))"
run 0 lb backup --db big.db --to "$url" --json --compress none
bid=$(json_field "$OUT" 'd["id"]')
chunks=$(cld_count 'r["api"] == "chunk" and r["status"] == 200')
[[ $chunks -ge 4 ]] || fail "a 3.5 MB backup with 1 MiB chunks went up in $chunks chunks"
[[ $(cld_count 'r["api"] == "chunk" and r["content_range"].endswith("/-1")') -ge 3 ]] || fail "non-final chunks name no total"
run 0 lb restore --backup-id "$bid" --target big-restored.db --yes --to "$url"
sqlite3 big-restored.db "select writefile('big-out.bin', x) from b" >/dev/null
cmp -s big.bin big-out.bin || fail "a chunked backup restored other bytes"
pass "a 3.5 MB backup goes up in $chunks chunks and comes back whole"

# Wrong secret: the Admin API's 401 and the Upload API's 401 "Invalid Signature" (the
# service's error body; here signed with SHA-256 for an account that signs with SHA-1),
# each a clear message, exit 1, nothing stored, nothing listed.
before=$(cld_count 'r["api"] in ("upload", "chunk") and r["status"] == 200')
(
  export CLOUDINARY_API_SECRET=wrong-secret-value
  run 1 lb backup --db app.db --to "$(cld_url wrong "$opts")"
  contains "$ERR" "check CLOUDINARY_API_SECRET"
  not_contains "$ERR" "wrong-secret-value" "the error for a wrong secret"
) || exit 1
run 1 lb backup --db app.db --to "$(cld_url wrong "$opts&signature_algorithm=sha256")"
contains "$ERR" "refused the request's signature: check CLOUDINARY_API_SECRET"
contains "$ERR" "Invalid Signature"
not_contains "$ERR" "$CLOUDINARY_API_SECRET" "the error for a wrong signature"
[[ $(cld_count 'r["api"] == "upload" and r["status"] == 401') -ge 1 ]] || fail "no upload was refused"
[[ $(cld_count 'r["api"] in ("upload", "chunk") and r["status"] == 200') == "$before" ]] || fail "a wrong secret stored something"
run 0 lb list --to "$(cld_url wrong "$opts")" --json
[[ $(json_field "$OUT" 'len(d)') == 0 ]] || fail "a failed backup lists"
pass "a wrong secret or signature fails with 'check CLOUDINARY_API_SECRET', exit 1, nothing listed"

# Missing credentials are a configuration error (exit 2) naming the variables.
(
  unset CLOUDINARY_API_SECRET CLOUDINARY_API_KEY
  run 2 lb list --to "$url"
  contains "$ERR" "CLOUDINARY_API_KEY"
) || exit 1
pass "missing credentials: exit 2, naming the variables"

# A backup larger than the plan's largest raw file (here raw_max_size=1500000) is stored as
# parts KEY.part0001.., each checked on its own and listed in the manifest; it restores as one
# stream, `lifeboat url` prints one URL per part, and the README's by-hand recovery (curl,
# cat, sha256sum -c, zstd -d) rebuilds it.
purl=$(cld_url parts "$opts&raw_max_size=1500000")
run 0 lb backup --db big.db --to "$purl" --json
pid_=$(json_field "$OUT" 'd["id"]')
pkey=$(json_field "$OUT" 'd["key"]')
[[ $(cld_count 'r["api"] == "rename" and r["status"] == 200') == 1 ]] || fail "the first part was not renamed"
run 0 lb list --to "$purl" --json
[[ $(json_field "$OUT" 'len(d)') == 1 ]] || fail "a split backup does not list once"
run 0 lb verify --backup-id "$pid_" --deep --to "$purl"
run 0 lb restore --backup-id "$pid_" --target parts-restored.db --yes --to "$purl"
sqlite3 parts-restored.db "select writefile('parts-out.bin', x) from b" >/dev/null
cmp -s big.bin parts-out.bin || fail "a split backup restored other bytes"
run 0 lb url --backup-id "$pid_" --expires 10m --to "$purl" --json
nparts=$(json_field "$OUT" 'len(d["parts"])')
[[ $nparts -ge 3 ]] || fail "a 3.5 MB backup with 1.5 MB raw files has $nparts parts"
mkdir byhand && cd byhand || fail "mkdir"
for ((i = 0; i < nparts; i++)); do
  pk=$(json_field "$OUT" "d['parts'][$i]['key']")
  [[ $pk == "$pkey.part$(printf %04d $((i + 1)))" ]] || fail "part $i is named '$pk'"
  curl -sf -o "$(basename "$pk")" "$(json_field "$OUT" "d['parts'][$i]['url']")" || fail "download of part $i"
done
# The .sha256 sidecar, through a download URL signed here as Cloudinary documents it.
sidecar=$(python3 - "$CLD_HOST" "parts/big/$pid_.sha256" <<'PY'
import hashlib, os, sys, time, urllib.parse
host, public_id = sys.argv[1:]
ts = int(time.time())
p = {"public_id": public_id, "type": "private", "timestamp": str(ts), "expires_at": str(ts + 600)}
text = "&".join(f"{k}={v}" for k, v in sorted(p.items())) + os.environ["CLOUDINARY_API_SECRET"]
p["signature"] = hashlib.sha1(text.encode()).hexdigest()
p["api_key"] = os.environ["CLOUDINARY_API_KEY"]
print(f"{host}/v1_1/{os.environ['CLOUDINARY_CLOUD_NAME']}/raw/download?" + urllib.parse.urlencode(p))
PY
)
curl -sf -o "$pid_.sha256" "$sidecar" || fail "download of the sidecar"
block=$(awk "/<!-- test: recovery-parts begin -->/{f=1;next} /<!-- test: recovery-parts end -->/{f=0} f" \
  "$LIFEBOAT_SOURCE_DIR/README.md" | sed -n '/^```/,/^```/p' | sed '1d;$d')
[[ -n $block ]] || fail "README has no recovery-parts block"
ID=$pid_ NAME=big bash -euo pipefail -c "$block" >/dev/null || fail "the README's recovery of parts failed"
sqlite3 big.db "select writefile('out.bin', x) from b" >/dev/null
cmp -s ../big.bin out.bin || fail "the parts put together by hand hold other bytes"
cd ..
# prune removes every part of a split backup with it.
run 0 lb backup --db big.db --to "$purl"
run 0 lb prune --keep-last 1 --to "$purl" --name big
left=$(curl -sf -u "$CLOUDINARY_API_KEY:$CLOUDINARY_API_SECRET" \
  "$CLD_HOST/v1_1/$CLOUDINARY_CLOUD_NAME/resources/raw/private?prefix=parts/big/$pid_&max_results=500")
[[ $(json_field "$left" 'len([r for r in d["resources"] if ".db.zst" in r["public_id"]])') == 0 ]] \
  || fail "prune left parts of a split backup: $left"
pass "a backup over the plan's raw file limit: $nparts parts, restored as one stream, and by hand with cat"

# An account that signs with SHA-256: signature_algorithm=sha256 in the URL.
old_host=$CLD_HOST
stop_cld
# The server is gone, not orphaned (a leaked one once outlived every test run).
[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$old_host/") == 000 ]] \
  || fail "stop_cld left the fake Cloudinary answering on $old_host"
FAKE_CLD_SIGNATURE_ALGORITHM=sha256 start_cld
surl=$(cld_url sha "$opts&signature_algorithm=sha256")
run 0 lb backup --db app.db --to "$surl" --json
sid=$(json_field "$OUT" 'd["id"]')
run 0 lb restore --backup-id "$sid" --target sha-restored.db --yes --to "$surl"
[[ $(sqlite3 sha-restored.db "select count(*) from orders") == 3000 ]] || fail "restored rows (sha256)"
run 0 lb url --backup-id "$sid" --expires 5m --to "$surl"
curl -sf -o /dev/null "$OUT" || fail "a SHA-256 signed download URL did not download"
run 1 lb backup --db app.db --to "$(cld_url sha "$opts")"
contains "$ERR" "check CLOUDINARY_API_SECRET"
pass "signature_algorithm=sha256 against an account that signs with SHA-256; SHA-1 is refused there"
