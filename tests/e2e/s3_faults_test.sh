#!/usr/bin/env bash
# What a real S3 server will not do on demand, from the scripted fake (tests/harness/
# fake_http.py): a 503 and a 429 with Retry-After in the middle of a multipart upload, a
# connection dropped in the middle of a part and of a download, a 200 carrying an error
# body. Each ends in a complete backup or a clear failure with nothing visible; every
# upload is sent with Content-Length, never chunked.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/fake_http.sh"

head -c 20000000 /dev/urandom > big.bin # random: ~20 MB stored, four 6 MiB parts
sqlite3 app.db "create table b(x blob); insert into b values (readfile('big.bin'))"

script() { # script RULES-JSON: a fake with these rules
  echo "{\"buckets\": [\"lifeboat-test\"], \"rules\": $1}" > rules.json
  stop_fake_http
  start_fake_http rules.json
}
restore_matches() { # restore_matches URL ID
  rm -f out.db out.bin
  run 0 lb restore --backup-id "$2" --target out.db --yes --to "$1"
  sqlite3 out.db "select writefile('out.bin', x) from b" >/dev/null
  cmp -s big.bin out.bin || fail "the restored bytes differ"
}
no_chunked() {
  [[ $(fake_count 'r.get("chunked")') == 0 ]] || fail "an upload was sent chunked"
  [[ $(fake_count 'r["method"] == "PUT" and r.get("content_length") is None') == 0 ]] \
    || fail "a PUT was sent without Content-Length"
}

# 1. 503 SlowDown on part 2, then 429 Retry-After on part 3: retried, the backup whole.
script '[{"method": "PUT", "query": "partNumber=2", "nth": 1, "action": "respond", "status": 503, "error_code": "SlowDown"},
         {"method": "PUT", "query": "partNumber=3", "nth": 1, "action": "respond", "status": 429, "headers": {"Retry-After": "1"}, "error_code": "SlowDown"}]'
url=$(fake_url t)
start=$SECONDS
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
(( SECONDS - start >= 1 )) || fail "Retry-After: 1 was not honoured"
[[ $(fake_count 'r["method"] == "PUT" and "partNumber=2" in r["query"]') == 2 ]] || fail "part 2 was not sent twice"
[[ $(fake_count 'r["method"] == "PUT" and "partNumber=3" in r["query"]') == 2 ]] || fail "part 3 was not sent twice"
no_chunked
restore_matches "$url" "$id"
pass "a 503 and a 429 with Retry-After in the middle of a multipart upload are retried; the backup is whole"

# 2. A connection dropped in the middle of part 2, and a download cut after 1000 bytes.
script '[{"method": "PUT", "query": "partNumber=2", "nth": 1, "action": "drop", "after_bytes": 65536},
         {"method": "GET", "path": "\\.db\\.zst$", "nth": 1, "action": "truncate", "after_bytes": 1000}]'
url=$(fake_url t)
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
restore_matches "$url" "$id"
[[ $(fake_count 'r["method"] == "GET" and r["path"].endswith(".db.zst")') -ge 4 ]] || fail "the download was not resumed"
pass "a dropped part is sent again and a cut download resumes at its offset"

# 3. CompleteMultipartUpload answers 200 with an InternalError inside: completed again.
script '[{"method": "POST", "params": {"uploadId": null}, "nth": 1, "action": "respond", "status": 200, "error_code": "InternalError"}]'
url=$(fake_url t)
run 0 lb backup --db app.db --to "$url" --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(fake_count 'r["method"] == "POST" and "uploadId" in r["query"]') == 2 ]] || fail "the completion was not retried"
restore_matches "$url" "$id"
pass "a 200 carrying an error body is an error, and the completion is retried"

# 4. A permanent refusal of part 2: a clear failure, the upload aborted, nothing listed.
script '[{"method": "PUT", "query": "partNumber=2", "action": "respond", "status": 403, "error_code": "AccessDenied"}]'
url=$(fake_url t)
run 1 lb backup --db app.db --to "$url"
contains "$ERR" "access denied"
[[ $(fake_count '"partNumber=2" in r["query"]') == 1 ]] || fail "a permanent error was retried"
[[ $(fake_count 'r["method"] == "DELETE" and "uploadId" in r["query"]') -ge 1 ]] || fail "the upload was not aborted"
run 0 lb list --to "$url" --json
[[ $(json_field "$OUT" 'len(d)') == 0 ]] || fail "a failed backup is listed"
pass "a refused part fails the backup at once, aborts the upload and leaves nothing listed"

# 5. A part that keeps failing: the attempts are summarised, nothing is visible.
script '[{"method": "PUT", "query": "partNumber=2", "action": "respond", "status": 503, "error_code": "SlowDown"}]'
url=$(fake_url t)
run 1 lb backup --db app.db --to "$url"
contains "$ERR" "failed after 6 attempts"
contains "$ERR" "503 SlowDown (x6)"
[[ $(fake_count 'r["method"] == "DELETE" and "uploadId" in r["query"]') -ge 1 ]] || fail "the upload was not aborted"
[[ $(fake_count 'r["method"] == "POST" and "uploadId" in r["query"]') == 0 ]] || fail "an incomplete upload was completed"
run 0 lb list --to "$url" --json
[[ $(json_field "$OUT" 'len(d)') == 0 ]] || fail "a failed backup is listed"
pass "a part that keeps failing ends the backup with the attempts listed, and nothing visible"
