#!/usr/bin/env bash
# S3 transport and addressing against s3rver over HTTPS with a CA made for this run:
# TLS is verified (an unknown CA is a clear failure, not retried, nothing stored; a wrong
# AWS_CA_BUNDLE is named), AWS_CA_BUNDLE makes a private CA trusted; virtual-hosted
# addressing (BUCKET.s3.localhost); AWS_SESSION_TOKEN signed and never printed; and
# prune removing multipart uploads a killed run abandoned, but not a running one's.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/s3.sh"
command -v openssl >/dev/null || skip "openssl is not installed"
start_s3 --tls
make_db app.db 500
url=$(s3_url tls)
[[ $url == *endpoint=https://* ]] || fail "the TLS server is not on https: $url"

stored() { find "$S3_DATA/$S3_BUCKET" -name '*._S3rver_object' -path "*/$1/*" 2>/dev/null | wc -l; }
start=$SECONDS
run 1 lb backup --db app.db --to "$url"
contains "$ERR" "TLS certificate is not trusted"
contains "$ERR" "AWS_CA_BUNDLE"
not_contains "$ERR" "failed after" "an untrusted certificate (it must not be retried)"
(( SECONDS - start < 20 )) || fail "an untrusted certificate took $((SECONDS - start)) s"
(( $(stored tls) == 0 )) || fail "a backup refused for its certificate stored objects"
run 1 lb list --to "$url"
contains "$ERR" "not trusted"
mkdir other && make_test_ca other
(
  export AWS_CA_BUNDLE=$PWD/other/ca.pem
  run 1 lb list --to "$url"
  contains "$ERR" "not trusted"
  contains "$ERR" "other/ca.pem"
) || exit 1
pass "TLS is verified: an unknown CA fails at once, clearly, storing nothing; a wrong AWS_CA_BUNDLE is named"

export AWS_CA_BUNDLE=$S3_CA
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
run 0 lb restore --backup-id "$id" --target r1.db --yes --to "$url"
[[ $(sqlite3 r1.db "select count(*) from orders") == 500 ]] || fail "restored rows over TLS"
pass "AWS_CA_BUNDLE trusts a private CA: backup and restore over HTTPS"

vurl=$(s3_vhost_url vhost)
before=$(grep -a -c "vhost/" "$S3_LOG" || true)
run 0 lb backup --db app.db --to "$vurl" --json
vid=$(json_field "$OUT" 'd["id"]')
run 0 lb list --to "$vurl" --json
contains "$OUT" "$vid"
run 0 lb restore --backup-id "$vid" --target r2.db --yes --to "$vurl"
[[ $(sqlite3 r2.db "select count(*) from orders") == 500 ]] || fail "restored rows, virtual-hosted"
# The same objects, seen path style by the aws CLI.
aws_s3 s3 ls "s3://$S3_BUCKET/vhost/app/" >ls.txt
contains "$(cat ls.txt)" "$vid.db.zst"
pass "virtual-hosted addressing (BUCKET.s3.localhost over HTTPS): backup, list, restore"

(
  export AWS_SESSION_TOKEN="FQoGZXIvYXdzE-session-token-$$"
  run 0 lb backup --db app.db --to "$url" --json -v
  not_contains "$OUT$ERR" "$AWS_SESSION_TOKEN" "the output of a backup with a session token"
  # --verbose: the Logging decorator's line per storage call, secrets never among them.
  contains "$ERR" "storage: part 1 'app/"
  contains "$ERR" "': ok in "
  not_contains "$ERR" "$AWS_SECRET_ACCESS_KEY" "the verbose log"
  run 0 lb list --to "$url"
) || exit 1
pass "with AWS_SESSION_TOKEN set, requests are signed with it (s3rver checks) and it is never printed"

# Abandoned multipart uploads: one a day old (a killed run), one just started.
old=$(aws_s3 s3api create-multipart-upload --bucket "$S3_BUCKET" --key tls/app/app-20200101-000000.db.zst \
  --query UploadId --output text)
new=$(aws_s3 s3api create-multipart-upload --bucket "$S3_BUCKET" --key tls/app/app-20990101-000000.db.zst \
  --query UploadId --output text)
[[ -n $old && -n $new ]] || fail "could not start multipart uploads"
keyfile=$(grep -rl --include=key -x "tls/app/app-20200101-000000.db.zst" "$S3_DATA" | head -1)
[[ -n $keyfile ]] || fail "cannot find s3rver's record of the upload"
touch -d '2 days ago' "$keyfile"
run 0 lb prune --to "$url" --name app --dry-run
contains "$OUT$ERR" "app-20200101-000000"
uploads() { aws_s3 s3api list-multipart-uploads --bucket "$S3_BUCKET" --query 'Uploads[].UploadId' --output text; }
contains "$(uploads)" "$old"
run 0 lb prune --to "$url" --name app
contains "$OUT$ERR" "app-20200101-000000"
left=$(uploads)
not_contains "$left" "$old" "the unfinished uploads after prune"
contains "$left" "$new"
pass "prune aborts a day-old unfinished multipart upload and leaves a running one alone"

# A prefix is a path: %XX decoded, '+' kept (s3://b/x+y is the prefix "x+y", as for the
# aws CLI); a control character is refused.
purl="s3://$S3_BUCKET/x+y/caf%C3%A9%20z?region=us-east-1&endpoint=$S3_ENDPOINT&path_style=1"
run 0 lb backup --db app.db --to "$purl" --json
pid_=$(json_field "$OUT" 'd["id"]')
aws_s3 s3 ls "s3://$S3_BUCKET/x+y/café z/app/" >ls2.txt || fail "nothing under the prefix 'x+y/café z/'"
contains "$(cat ls2.txt)" "$pid_.db.zst"
run 0 lb restore --backup-id "$pid_" --target r3.db --yes --to "$purl"
run 2 lb list --to "s3://$S3_BUCKET/a%0Ab?region=us-east-1&endpoint=$S3_ENDPOINT&path_style=1"
pass "an S3 prefix with '+', a space and UTF-8 is the prefix written; a control character is refused"
