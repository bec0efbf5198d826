#!/usr/bin/env bash
# S3-compatible storage end to end, against s3rver on loopback (which verifies SigV4):
# backup, list, verify, restore and prune of a SQLite database; the objects readable by
# Debian's aws CLI and sha256sum; a presigned URL that works with curl and then expires;
# wrong credentials, a missing bucket and an unreachable endpoint each fail clearly.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/s3.sh"
start_s3

make_db app.db 3000
url=$(s3_url team)
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
key=$(json_field "$OUT" 'd["key"]')
run 0 lb list --to "$url" --json
contains "$OUT" "$id"
run 0 lb verify --backup-id "$id" --deep --to "$url"
run 0 lb restore --backup-id "$id" --target restored.db --yes --to "$url"
[[ $(sqlite3 restored.db "select count(*) from orders") == 3000 ]] || fail "restored rows"
pass "backup, list, verify --deep and restore through s3://"

# The objects are plain S3 objects: the aws CLI lists and downloads them, sha256sum agrees.
aws_s3 s3 ls "s3://$S3_BUCKET/team/app/" >ls.txt || fail "aws s3 ls failed"
contains "$(cat ls.txt)" "$id.db.zst"
aws_s3 s3 cp "s3://$S3_BUCKET/team/$key" . >/dev/null || fail "aws s3 cp failed"
aws_s3 s3 cp "s3://$S3_BUCKET/team/app/$id.sha256" . >/dev/null || fail "aws s3 cp of the sidecar failed"
sha256sum -c "$id.sha256" >/dev/null || fail "sha256sum -c failed on the downloaded object"
pass "the aws CLI lists and downloads the backup, and sha256sum -c passes"

# A presigned URL downloads with plain curl, and stops working after its expiry.
run 0 lb url --backup-id "$id" --expires 5m --to "$url"
curl -sf -o via-url.zst "$OUT" || fail "the presigned URL did not download"
cmp -s via-url.zst "$(basename "$key")" || fail "the presigned URL served other bytes"
run 0 lb url --backup-id "$id" --expires 1s --to "$url"
signed=$OUT
sleep 3 # X-Amz-Date has whole seconds: the URL is dead after at most 2 s
code=$(curl -s -o /dev/null -w '%{http_code}' "$signed")
[[ $code == 403 ]] || fail "an expired presigned URL answered $code"
run 2 lb url --backup-id "$id" --expires 8d --to "$url"
run 2 lb url --backup-id "$id" --to ./local-backups
pass "lifeboat url: curl downloads the backup, and gets 403 after the expiry"

# Failures: wrong secret (proves requests are signed), missing bucket, unreachable endpoint.
(
  export AWS_SECRET_ACCESS_KEY=wrong-secret
  run 1 lb list --to "$url"
  contains "$ERR" "refused the credentials"
  contains "$ERR" "AWS_SECRET_ACCESS_KEY"
  not_contains "$ERR" "wrong-secret" "the error for a wrong secret"
) || exit 1
run 1 lb list --to "s3://no-such-bucket/x?region=us-east-1&endpoint=$S3_ENDPOINT&path_style=1"
contains "$ERR" "bucket 'no-such-bucket' does not exist"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$SECONDS
run 1 lb list --to "s3://b/x?region=us-east-1&endpoint=http://127.0.0.1:$port&path_style=1"
contains "$ERR" "failed after"
(( SECONDS - start < 120 )) || fail "an unreachable endpoint took $((SECONDS - start)) s"
(
  unset AWS_ACCESS_KEY_ID
  run 2 lb list --to "$url"
  contains "$ERR" "AWS_ACCESS_KEY_ID"
) || exit 1
pass "wrong credentials, a missing bucket, an unreachable endpoint and missing keys fail clearly"

# A backup larger than a part is a multipart upload, whole once listed.
head -c 30000000 /dev/urandom > big.bin
sqlite3 big.db "create table b(x blob); insert into b values (readfile('big.bin'))"
run 0 lb backup --db big.db --to "$url" --json
bid=$(json_field "$OUT" 'd["id"]')
run 0 lb restore --backup-id "$bid" --target big-restored.db --yes --to "$url"
sqlite3 big-restored.db "select writefile('big-out.bin', x) from b" >/dev/null
cmp -s big.bin big-out.bin || fail "a multipart backup restored other bytes"
pass "a 30 MB backup goes up in parts and comes back whole"

run 0 lb prune --keep-last 1 --to "$url" --name app
run 0 lb list --to "$url" --name app --json
pass "prune works against s3://"

# The catalog index: a listing reads one index object instead of every manifest; a
# missing, stale or damaged index costs only GETs, and the listing rewrites it.
sqlite3 tiny.db "create table t(x); insert into t values (1);"
iurl=$(s3_url idx)
for i in $(seq 12); do run 0 lb backup --db tiny.db --to "$iurl" --no-prune; done
manifest_gets() { grep -a -c 'idx/[^ ]*\.manifest\.json 206 ' "$S3_LOG" || true; } # ranged GETs answer 206
before=$(manifest_gets)
run 0 lb list --to "$iurl" --json
[[ $(json_field "$OUT" 'len(d)') == 12 ]] || fail "the listing lost backups"
(( $(manifest_gets) == before )) || fail "a listing with a fresh index read $(( $(manifest_gets) - before )) manifests"
before=$(manifest_gets)
run 0 lb prune --keep-last 3 --dry-run --to "$iurl" --name tiny
run 0 lb restore --latest --name tiny --target latest.db --yes --to "$iurl"
(( $(manifest_gets) - before <= 1 )) || fail "prune and restore --latest read $(( $(manifest_gets) - before )) manifests, not the index"
echo garbage > garbage.json
aws_s3 s3 cp garbage.json "s3://$S3_BUCKET/idx/tiny/index.json" >/dev/null
before=$(manifest_gets)
run 0 lb list --to "$iurl" --json
[[ $(json_field "$OUT" 'len(d)') == 12 ]] || fail "a damaged index lost backups"
(( $(manifest_gets) - before == 12 )) || fail "a damaged index was trusted"
before=$(manifest_gets)
run 0 lb list --to "$iurl" --json
(( $(manifest_gets) == before )) || fail "the listing did not rewrite the damaged index"
aws_s3 s3 rm "s3://$S3_BUCKET/idx/tiny/$(json_field "$OUT" 'd[0]["id"]').manifest.json" >/dev/null
run 0 lb list --to "$iurl" --json
[[ $(json_field "$OUT" 'len(d)') == 11 ]] || fail "an index entry outlived its manifest"
# A nightly run (store, then prune by the policy) reads the index, not the manifests.
before=$(manifest_gets)
run 0 lb backup --db tiny.db --to "$iurl"
(( $(manifest_gets) == before )) || fail "a backup run (store + prune) read $(( $(manifest_gets) - before )) manifests"
pass "listings use the catalog index, and survive a damaged index and a manifest removed behind its back"
