#!/usr/bin/env bash
# The scripted fake S3 (tests/harness/fake_http.py) does what its rules say, with curl as
# the client: scripted answers on the n-th matching request, a connection dropped after N
# request body bytes, a download cut after N bytes (FIN or reset), a late answer; and
# its in-memory S3 stores, ranges, lists with paging, and runs multipart uploads.
# Runs without lifeboat: LIFEBOAT=/bin/false bash tests/e2e/fake_http_test.sh
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/fake_http.sh"
command -v curl >/dev/null || skip "curl is not installed"

cat >script.json <<'EOF'
{
  "objects": {"lifeboat-test/pre/loaded.txt": "preloaded"},
  "min_part_size": 1000,
  "rules": [
    {"name": "part 2 busy", "method": "PUT", "query": "partNumber=2", "nth": 2,
     "action": "respond", "status": 503, "error_code": "SlowDown", "error_message": "Please reduce your request rate."},
    {"name": "throttled", "method": "GET", "path": "^/lifeboat-test/throttle$",
     "action": "respond", "status": 429, "headers": {"Retry-After": "1"}, "body": "slow down", "times": 1},
    {"name": "complete fails in a 200", "method": "POST", "params": {"uploadId": null}, "path": "/fail-complete$",
     "action": "respond", "status": 200, "error_code": "InternalError", "error_message": "We encountered an internal error. Please try again."},
    {"name": "upload dropped", "method": "PUT", "path": "/dropped\\.bin$", "action": "drop", "after_bytes": 1000},
    {"name": "download cut", "method": "GET", "path": "^/lifeboat-test/dl/big\\.bin$", "header": {"range": "^bytes=0-"}, "action": "truncate", "after_bytes": 500},
    {"name": "download reset", "method": "GET", "path": "^/lifeboat-test/dl/big\\.bin$", "nth": [1], "action": "truncate", "after_bytes": 700, "rst": true},
    {"name": "late", "method": "HEAD", "path": "^/lifeboat-test/dl/big\\.bin$", "action": "pass", "delay": 1}
  ]
}
EOF
start_fake_http script.json
O=$FAKE_ENDPOINT/lifeboat-test
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

# The in-memory S3: PUT, GET, Range, HEAD, DELETE.
[[ $(curl -s "$O/pre/loaded.txt") == preloaded ]] || fail "the preloaded object is not served"
head -c 10000 /dev/urandom > big.bin
[[ $(code -T big.bin "$O/data/big.bin") == 200 ]] || fail "PUT: $(cat body)"
[[ $(code -r 100-199 "$O/data/other") == 404 ]] || fail "GET of a missing key"
contains "$(cat body)" "<Code>NoSuchKey</Code>"
[[ $(code -r 9990- "$O/data/big.bin") == 206 ]] || fail "Range 9990-"
cmp -s body <(tail -c 10 big.bin) || fail "Range 9990- body"
[[ $(code -r -10 "$O/data/big.bin") == 206 ]] || fail "Range -10"
cmp -s body <(tail -c 10 big.bin) || fail "Range -10 body"
[[ $(code -r 10-19 "$O/data/big.bin") == 206 ]] || fail "Range 10-19"
cmp -s body <(head -c 20 big.bin | tail -c 10) || fail "Range 10-19 body"
[[ $(code -r 20000- "$O/data/big.bin") == 416 ]] || fail "a range past the end is not 416"
[[ $(code -I "$O/data/nothing") == 404 ]] || fail "HEAD of a missing key"
[[ $(code -X DELETE "$O/data/gone") == 204 ]] || fail "DELETE"
[[ $(code -H 'Transfer-Encoding: chunked' -T big.bin "$O/data/chunked.bin") == 501 ]] || fail "a chunked PUT is not 501"
[[ $(code -X PUT "$O/data/nolength") == 411 ]] || fail "a PUT without Content-Length is not 411"
[[ $(code -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' -T big.bin "$O/data/md5") == 400 ]] || fail "a wrong Content-MD5"
contains "$(cat body)" BadDigest
[[ $(code -H "x-amz-content-sha256: $(sha256sum <big.bin | cut -c1-64)" -T big.bin "$O/data/sha") == 200 ]] || fail "a right sha256"
[[ $(code -H "x-amz-content-sha256: $(printf x | sha256sum | cut -c1-64)" -T big.bin "$O/data/sha") == 400 ]] || fail "a wrong sha256"
[[ $(fake_count 'r.get("payload_hash_ok") is True') == 1 && $(fake_count 'r.get("payload_hash_ok") is False') == 1 ]] \
  || fail "payload_hash_ok is not logged"
etag=$(curl -s -I "$O/data/big.bin" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip')
[[ $(code -H "If-Match: $etag" "$O/data/big.bin") == 200 && $(code -H 'If-Match: "00"' "$O/data/big.bin") == 412 ]] \
  || fail "If-Match"
[[ $(code -H "Host: lifeboat-test.s3.localhost:$FAKE_PORT" "$FAKE_ENDPOINT/data/big.bin") == 200 ]] || fail "virtual host"
[[ $(code "$FAKE_ENDPOINT/no-such-bucket/x") == 404 ]] || fail "a missing bucket"
contains "$(cat body)" NoSuchBucket
pass "the in-memory S3 stores, serves ranges, checks digests, refuses chunked uploads"

# ListObjectsV2 pages with max-keys and continuation-token (a token that needs encoding).
for k in a b c d e; do curl -s -o /dev/null -T big.bin "$O/list/$k"; done
keys=() token=
for ((i = 0; i < 10; i++)); do
  args=(--data-urlencode list-type=2 --data-urlencode prefix=list/ --data-urlencode max-keys=2)
  [[ -n $token ]] && args+=(--data-urlencode "continuation-token=$token")
  page=$(curl -s -G "${args[@]}" "$O")
  keys+=($(grep -o '<Key>[^<]*</Key>' <<<"$page" | sed 's/<[^>]*>//g'))
  token=$(grep -o '<NextContinuationToken>[^<]*' <<<"$page" | sed 's/.*>//') || true
  [[ -n $token ]] || break
done
[[ "${keys[*]}" == "list/a list/b list/c list/d list/e" ]] || fail "paged listing: ${keys[*]}"
[[ $(code "$O?list-type=2&continuation-token=+/bogus") == 400 ]] || fail "an unencoded token is accepted"
for k in list/sub/x list/sub/y; do curl -s -o /dev/null -T big.bin "$O/$k"; done
page=$(curl -s "$O?list-type=2&prefix=list/&delimiter=/&start-after=list/b")
contains "$page" "<Key>list/c</Key>"
not_contains "$page" "<Key>list/b</Key>"
contains "$page" "<CommonPrefixes><Prefix>list/sub/</Prefix></CommonPrefixes>"
contains "$(curl -s "$O?prefix=list/&marker=list/d&max-keys=1")" "<Key>list/e</Key><LastModified>"
contains "$(curl -s "$O?prefix=list/&marker=list/d&max-keys=1")" "<NextMarker>list/e</NextMarker>"
[[ $(code -X POST -d '<Delete><Object><Key>list/sub/x</Key></Object><Object><Key>list/sub/y</Key></Object></Delete>' "$O?delete") == 200 ]] \
  || fail "DeleteObjects"
not_contains "$(curl -s "$O?list-type=2&prefix=list/sub/")" "<Key>" "the listing after DeleteObjects"
pass "ListObjectsV2 pages with max-keys and continuation-token; delimiter, start-after, V1 marker, DeleteObjects"

# Multipart: create, part 1, part 2 (the 2nd PUT of part 2 is a scripted 503), complete.
up=$(curl -s -X POST "$O/mp/obj?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
[[ -n $up ]] || fail "no UploadId"
head -c 2000 /dev/urandom > p1; head -c 10 /dev/urandom > p2
e1=$(curl -s -D - -o /dev/null -T p1 "$O/mp/obj?partNumber=1&uploadId=$up" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip')
[[ $(code -T p2 "$O/mp/obj?partNumber=2&uploadId=$up") == 200 ]] || fail "part 2, 1st PUT"
[[ $(code -T p2 "$O/mp/obj?partNumber=2&uploadId=$up") == 503 ]] || fail "part 2, 2nd PUT is not the scripted 503"
contains "$(cat body)" "<Code>SlowDown</Code>"
e2=$(curl -s -D - -o /dev/null -T p2 "$O/mp/obj?partNumber=2&uploadId=$up" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip')
[[ -n $e1 && -n $e2 ]] || fail "parts without ETag"
[[ $(code -X POST -d "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$e1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"00\"</ETag></Part></CompleteMultipartUpload>" "$O/mp/obj?uploadId=$up") == 400 ]] \
  || fail "a wrong part ETag is accepted"
contains "$(cat body)" InvalidPart
[[ $(code -X POST -d "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$e1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>$e2</ETag></Part></CompleteMultipartUpload>" "$O/mp/obj?uploadId=$up") == 200 ]] \
  || fail "complete: $(cat body)"
contains "$(cat body)" '-2&quot;</ETag>'
cmp -s <(curl -s "$O/mp/obj") <(cat p1 p2) || fail "the completed object differs from its parts"
[[ $(fake_count 'r["method"] == "PUT" and "partNumber=2" in r["query"]') == 3 ]] || fail "part 2 was not PUT 3 times"
[[ $(fake_count 'r.get("rule") == "part 2 busy"') == 1 ]] || fail "the 503 rule fired other than once"
pass "nth: the 2nd PUT of part 2 got the scripted 503, the others the in-memory S3"

# Abort and ListMultipartUploads; a 200 with an <Error> body on Complete.
up2=$(curl -s -X POST "$O/mp/left?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
up3=$(curl -s -X POST "$O/mp/fail-complete?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
contains "$(curl -s "$O?uploads&prefix=mp/")" "<UploadId>$up2</UploadId>"
[[ $(code -X DELETE "$O/mp/left?uploadId=$up2") == 204 ]] || fail "abort"
[[ $(code -X DELETE "$O/mp/left?uploadId=$up2") == 404 ]] || fail "a 2nd abort is not 404"
contains "$(cat body)" NoSuchUpload
not_contains "$(curl -s "$O?uploads")" "$up2" "ListMultipartUploads after abort"
[[ $(code -X POST -d '<CompleteMultipartUpload/>' "$O/mp/fail-complete?uploadId=$up3") == 200 ]] || fail "complete rule"
contains "$(cat body)" "<Error><Code>InternalError</Code>"
[[ $(fake_count 'r["method"] == "DELETE" and "uploadId=" in r["query"]') == 2 ]] || fail "abort count"
pass "abort, ListMultipartUploads, and a 200 whose body is an <Error>"

# 429 with Retry-After, once (times: 1), then the in-memory S3.
[[ $(curl -s -D headers -o /dev/null -w '%{http_code}' "$O/throttle") == 429 ]] || fail "no 429"
grep -qi '^Retry-After: 1' headers || fail "no Retry-After: $(cat headers)"
[[ $(code "$O/throttle") == 404 ]] || fail "times: 1 fired twice"
pass "429 with Retry-After, once"

# A dropped upload: the server reads 1000 bytes of the body and closes.
head -c 100000 /dev/urandom > drop.bin
curl -s -o /dev/null -T drop.bin "$O/data/dropped.bin"; rc=$?
[[ $rc == 52 || $rc == 55 || $rc == 56 ]] || fail "curl exit $rc for a dropped upload"
[[ $(code "$O/data/dropped.bin") == 404 ]] || fail "a dropped upload stored an object"
contains "$(fake_requests 'r.get("rule") == "upload dropped"')" '"outcome": "dropped after 1000 request body bytes"'
pass "drop: the connection closes after 1000 request body bytes"

# A cut download: the 1st GET of dl/big.bin is reset after 700 bytes; one with Range:
# bytes=0- gets 500 bytes and a clean close, its Content-Length promising 10000.
curl -s -o /dev/null -T big.bin "$O/dl/big.bin"
curl -s -o got "$O/dl/big.bin"; rc=$?
[[ $rc == 56 || $rc == 18 ]] || fail "curl exit $rc for a reset download"
[[ $(wc -c <got) -le 700 ]] || fail "the reset download has $(wc -c <got) bytes"
curl -s -o got -r 0- "$O/dl/big.bin"; rc=$?
[[ $rc == 18 ]] || fail "curl exit $rc for a cut download (want 18, partial file)"
cmp -s got <(head -c 500 big.bin) || fail "the cut download has $(wc -c <got) bytes"
[[ $(curl -s -o got -w '%{http_code}' "$O/dl/big.bin") == 200 ]] || fail "the 3rd GET"
cmp -s got big.bin || fail "the 3rd GET is not whole"
pass "truncate: a download cut after N bytes, by FIN or by reset"

# A late answer, and the log of what was sent.
start=$(date +%s%N)
[[ $(code -I "$O/dl/big.bin") == 200 ]] || fail "late HEAD"
(( ($(date +%s%N) - start) / 1000000 >= 1000 )) || fail "the HEAD was not delayed by 1 s"
r=$(fake_requests 'r["method"] == "PUT" and r["path"] == "/lifeboat-test/data/big.bin"')
contains "$r" '"content_length": 10000'
contains "$r" '"chunked": false'
contains "$(fake_requests 'r["path"].endswith("chunked.bin")')" '"chunked": true'
[[ $(fake_count 'r.get("rule") == "late" and r["outcome"] == "s3 200"') == 1 ]] || fail "the late HEAD is not logged"
pass "delay, and the log records method, path, query, Content-Length, chunked, rule and outcome"

# A real client: Debian's aws CLI stores, lists (encoding-type=url) and fetches, multipart too.
if [[ -x /usr/bin/aws ]]; then
  printf '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n' >aws-config
  awsf() { AWS_CONFIG_FILE=$T/aws-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_PAGER= \
    AWS_EC2_METADATA_DISABLED=true /usr/bin/aws --endpoint-url "$FAKE_ENDPOINT" "$@" </dev/null; }
  head -c 9000000 /dev/urandom > mp.bin
  mkdir -p up/sp; cp mp.bin "up/sp/a b+c&d.bin"
  run 0 awsf s3 cp --recursive up "s3://lifeboat-test/aws/"
  run 0 awsf s3 ls --recursive "s3://lifeboat-test/aws/"
  contains "$OUT" "aws/sp/a b+c&d.bin"
  run 0 awsf s3 cp "s3://lifeboat-test/aws/sp/a b+c&d.bin" back.bin
  cmp -s mp.bin back.bin || fail "the aws CLI got other bytes back"
  [[ $(fake_count 'r["method"] == "PUT" and "partNumber=" in r["query"] and "/aws/" in r["path"]') == 2 ]] \
    || fail "the aws CLI did not upload 9 MB in 2 parts"
  pass "the aws CLI works against the in-memory S3 (multipart, encoding-type=url)"
else
  skip "Debian's aws CLI (/usr/bin/aws) is not installed (scripts/install-deps.sh installs it)"
fi
