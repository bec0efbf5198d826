#!/usr/bin/env bash
# tests/harness/s3rver_check.sh: proves, by hand, what tests/harness/npm/README.md says
# about s3rver: first stock s3rver (start_s3 --stock: only our credentials), then the
# launcher's AWS-compatible mode (the default). Each "fact:" line is a checked fact; a
# fact that stops holding (a new s3rver, say) fails the script. About a minute.
#   LIFEBOAT=/bin/false bash tests/harness/s3rver_check.sh      (LIFEBOAT is not used)
: "${LIFEBOAT:=/bin/false}"
export LIFEBOAT
source "$(dirname "$0")/../e2e/lib.sh"
source "$E2E_DIR/s3.sh"
fact() { echo "fact: $*"; }
status() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
# sigv4 METHOD PATH QUERY AMZDATE REGION SECRET: a curl config for a request signed by
# hand (Python, standard library), so the date and scope can be anything.
sigv4() {
  python3 - "$@" <<'EOF'
import hashlib, hmac, os, sys
method, path, query, amzdate, region, secret = sys.argv[1:]
host = "127.0.0.1:" + os.environ["S3_PORT"]
h = lambda k, m: hmac.new(k, m.encode(), hashlib.sha256).digest()
payload = hashlib.sha256(b"").hexdigest()
canon = "\n".join([method, path, query, f"host:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amzdate}\n",
                   "host;x-amz-content-sha256;x-amz-date", payload])
scope = f"{amzdate[:8]}/{region}/s3/aws4_request"
sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, hashlib.sha256(canon.encode()).hexdigest()])
k = h(h(h(h(("AWS4" + secret).encode(), amzdate[:8]), region), "s3"), "aws4_request")
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
print(f'url = "http://{host}{path}{"?" + query if query else ""}"')
print(f'request = "{method}"')
print(f'header = "x-amz-date: {amzdate}"')
print(f'header = "x-amz-content-sha256: {payload}"')
print(f'header = "Authorization: AWS4-HMAC-SHA256 Credential={os.environ["AWS_ACCESS_KEY_ID"]}/{scope}, '
      f'SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"')
EOF
}
now() { date -u +%Y%m%dT%H%M%SZ; }

# Facts that hold with and without the launcher's fixes.
common_facts() {
  local B=$S3_BUCKET O=$S3_ENDPOINT/$S3_BUCKET mode=$1
  echo hello > hello.txt
  run 0 aws_s3 s3 cp hello.txt "s3://$B/p/hello.txt"
  run 0 aws_s3 s3 ls "s3://$B/p/"
  contains "$OUT" hello.txt
  fact "$mode: aws s3 cp with the right secret is stored, aws s3 ls lists it"
  AWS_SECRET_ACCESS_KEY=wrong run 1 aws_s3 s3 cp hello.txt "s3://$B/p/x.txt"
  contains "$ERR" SignatureDoesNotMatch
  fact "$mode: a wrong secret: 403 SignatureDoesNotMatch"
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER run 254 aws_s3 s3api list-objects-v2 --bucket "$B"
  contains "$ERR" InvalidAccessKeyId
  fact "$mode: s3rver's own S3RVER/S3RVER: 403 InvalidAccessKeyId (the launcher replaces them)"
  [[ $(curl -s -K <(sigv4 GET "/$B/p/hello.txt" "" "$(now)" us-east-1 "$AWS_SECRET_ACCESS_KEY")) == hello ]] || fail "hand-signed GET"
  [[ $(curl -s -K <(sigv4 GET "/$B/p/hello.txt" "" "$(now)" eu-north-7 "$AWS_SECRET_ACCESS_KEY")) == hello ]] \
    || fail "a wrong region in the scope was refused"
  fact "$mode: the region in the credential scope is not checked (AWS: AuthorizationHeaderMalformed)"
  local old
  old=$(date -u -d '-16 min' +%Y%m%dT%H%M%SZ)
  [[ $(status -K <(sigv4 GET "/$B/p/hello.txt" "" "$old" us-east-1 "$AWS_SECRET_ACCESS_KEY")) == 403 ]] || fail "skew"
  contains "$(cat "$T/body")" RequestTimeTooSkewed
  old=$(date -u -d '-14 min' +%Y%m%dT%H%M%SZ)
  [[ $(status -K <(sigv4 GET "/$B/p/hello.txt" "" "$old" us-east-1 "$AWS_SECRET_ACCESS_KEY")) == 200 ]] || fail "skew 14"
  fact "$mode: a signature dated 16 min ago: 403 RequestTimeTooSkewed; 14 min ago: accepted"
  [[ $(AWS_SESSION_TOKEN=made-up aws_s3 s3 cp "s3://$B/p/hello.txt" - 2>&1) == hello ]] || fail "session token"
  fact "$mode: AWS_SESSION_TOKEN (x-amz-security-token) is not checked: any value passes"
  run 0 aws_s3 s3 presign "s3://$B/p/hello.txt" --expires-in 1
  local short=$OUT
  run 0 aws_s3 s3 presign "s3://$B/p/hello.txt" --expires-in 300
  local url=$OUT
  [[ $(curl -s "$url") == hello ]] || fail "presigned"
  [[ $(status "${url/X-Amz-Signature=/X-Amz-Signature=0}") == 403 ]] || fail "altered presigned"
  [[ $(status -X PUT -d x "$url") == 403 ]] || fail "presigned GET used for PUT"
  sleep 2
  [[ $(status "$short") == 403 ]] || fail "expired"
  contains "$(cat "$T/body")" "Request has expired"
  [[ $(status "${url/X-Amz-Expires=300/X-Amz-Expires=604801}") == 400 ]] || fail "expires > a week"
  fact "$mode: presigned URLs: served, 403 when altered, used with another method, or expired; X-Amz-Expires > 604800: 400"
  [[ $(s3_curl -r -2 "$O/p/hello.txt" | od -An -c | tr -d ' ') == 'hel' ]] || fail "suffix range"
  fact "$mode: Range: bytes=-2 of 'hello\\n' answers bytes 0-2 ('hel'), not the last 2 (AWS: 'o\\n')"
  [[ $(s3_curl -s -o /dev/null -w '%{http_code}' -r 1-2 "$O/p/hello.txt") == 206 ]] || fail "range"
  contains "$(s3_curl -i -T hello.txt -H 'Expect: 100-continue' --user "$AWS_ACCESS_KEY_ID:wrong" "$O/p/e.txt")" "HTTP/1.1 100 Continue"
  fact "$mode: Expect: 100-continue gets '100 Continue' before the signature is checked (AWS refuses first)"
  contains "$(s3_curl "$O?list-type=2&max-keys=5000")" "<MaxKeys>5000</MaxKeys>"
  contains "$(s3_curl "$O?list-type=2")" 'xmlns="http://doc.s3.amazonaws.com/2006-03-01/"'
  fact "$mode: ListBucketResult's namespace is http://doc.s3.amazonaws.com/2006-03-01/ (AWS: http://s3.amazonaws.com/doc/2006-03-01/); MaxKeys echoes the request (5000), at most 1000 keys come"
  contains "$(curl -s -i "$O/p/hello.txt" -o /dev/null -D - ; s3_curl -s -D - -o /dev/null "$O/p/hello.txt")" "Keep-Alive: timeout=5"
  fact "$mode: idle keep-alive connections are closed after 5 s (Keep-Alive: timeout=5)"
}

echo "== stock s3rver (only the credentials are ours)"
start_s3 --stock
B=$S3_BUCKET O=$S3_ENDPOINT/$B
common_facts stock
[[ $(status "$O/p/hello.txt") == 200 ]] || fail "stock: unsigned GET"
[[ $(status -T hello.txt "$O/p/anon.txt") == 200 ]] || fail "stock: unsigned PUT"
fact "stock: unsigned requests are served anonymously, reads and writes (AWS, private bucket: 403 AccessDenied)"
head -c 20000 /dev/urandom > r.bin
[[ $(s3_curl -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T r.bin "$O/p/te.bin") == 200 ]] || fail "stock chunked"
cmp -s <(s3_curl "$O/p/te.bin") r.bin || fail "stock chunked content"
fact "stock: a PUT with Transfer-Encoding: chunked is stored (AWS: 501 NotImplemented, or 411 MissingContentLength)"
S3_CURL_SHA256=$(printf x | sha256sum | cut -c1-64) run 0 s3_curl -o /dev/null -w '%{http_code}' -T r.bin "$O/p/sha.bin"
[[ $OUT == 200 ]] || fail "stock sha"
[[ $(s3_curl -o /dev/null -w '%{http_code}' -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' -T r.bin "$O/p/md5.bin") == 200 ]] || fail "stock md5"
fact "stock: a wrong x-amz-content-sha256 or Content-MD5 is not noticed, the object is stored (AWS: 400)"
head -c 300000 /dev/urandom > big.bin
s3_curl -o /dev/null --limit-rate 20K --max-time 1 -T big.bin "$O/p/hello.txt"
sleep 0.5
run 0 s3_curl -o got -w '%{http_code} %{size_download}' "$O/p/hello.txt"
[[ $OUT != "200 6" ]] || fail "stock: the cut PUT did not damage the object"
fact "stock: a PUT cut off mid-body replaces the object with what arrived ($OUT bytes, of 300000), keeping the old ETag"
mkdir -p tree/o/app tree/o/app-2
for k in a a-b a.b ab app/x app-2/y "q'&<>"; do echo x > "tree/o/$k"; done
run 0 aws_s3 s3 cp --recursive tree/o "s3://$B/o/"
run 0 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix o/ --query 'Contents[].Key' --output json
got=$(json_field "$OUT" '" ".join(d)')
[[ $got == "o/a-b o/a o/a.b o/ab o/app/x o/app-2/y o/q&#x27;&amp;&lt;&gt;" ]] || fail "stock listing order: $got"
fact "stock: ListObjectsV2 order is file-name order, not byte order: $got; & < > ' in keys come escaped twice"
run 0 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix o/ --page-size 1 --query 'Contents[].Key' --output json
got=$(json_field "$OUT" '" ".join(d)')
[[ $got != "o/a o/a-b"* ]] || fail "stock paging"
fact "stock: paging by 1 with continuation-token gives: $got (keys skipped or repeated)"
head -c 6000000 /dev/urandom > mp.bin
run 0 aws_s3 s3api create-multipart-upload --bucket "$B" --key mp/x --query UploadId --output text
id=$OUT
run 0 aws_s3 s3api upload-part --bucket "$B" --key mp/x --upload-id "$id" --part-number 1 --body hello.txt --query ETag --output text
run 0 aws_s3 s3api upload-part --bucket "$B" --key mp/x --upload-id "$id" --part-number 2 --body hello.txt --query ETag --output text
run 0 aws_s3 s3api complete-multipart-upload --bucket "$B" --key mp/x --upload-id "$id" \
  --multipart-upload '{"Parts":[{"PartNumber":1,"ETag":"\"0000\""},{"PartNumber":2,"ETag":"\"1111\""}]}'
run 0 aws_s3 s3api head-object --bucket "$B" --key mp/x --query ETag --output text
[[ $OUT == "\"$(cat hello.txt hello.txt | md5sum | cut -c1-32)\"" ]] || fail "stock multipart etag $OUT"
fact "stock: Complete takes 6-byte parts (AWS: EntityTooSmall below 5 MiB) and wrong part ETags (AWS: InvalidPart); the ETag is the whole object's MD5 $OUT (AWS: md5-of-md5s-2)"
run 0 aws_s3 s3api create-multipart-upload --bucket "$B" --key mp/y --query UploadId --output text
id=$OUT
run 254 aws_s3 s3api abort-multipart-upload --bucket "$B" --key mp/y --upload-id "$id"
contains "$ERR" "MethodNotAllowed"
run 254 aws_s3 s3api list-multipart-uploads --bucket "$B"
contains "$ERR" "NotImplemented"
[[ $(s3_curl -o /dev/null -w '%{http_code}' -T hello.txt "$O/mp/y?partNumber=1&uploadId=0123456789abcdef") == 200 ]] || fail "stock unknown upload"
fact "stock: AbortMultipartUpload: 405 MethodNotAllowed; ListMultipartUploads: 501 NotImplemented; UploadPart to an unknown upload id: 200"
[[ $(s3_curl -o /dev/null -w '%{http_code}' "http://$B.s3.localhost:$S3_PORT/p/hello.txt") == 403 ]] || fail "stock vhost"
contains "$(cat "$T/body" 2>/dev/null; s3_curl "http://$B.s3.localhost:$S3_PORT/p/hello.txt")" SignatureDoesNotMatch
fact "stock: a correctly signed virtual-host-style request (BUCKET.s3.localhost) fails: 403 SignatureDoesNotMatch"
run 254 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix "p/a(1)"
contains "$ERR" SignatureDoesNotMatch
fact "stock: a correctly signed query value with ( ) ! ' * (aws s3api list-objects-v2 --prefix 'p/a(1)') fails: 403 SignatureDoesNotMatch"
stop_s3

echo "== launcher defaults (AWS-compatible)"
NODE_OPTIONS= node "$LIFEBOAT_SOURCE_DIR/tests/harness/s3rver.js" --directory "$T/x" --access-key-id a --secret b >out 2>&1
contains "$(cat out)" "--openssl-legacy-provider"
fact "without NODE_OPTIONS=--openssl-legacy-provider the launcher refuses to start (s3rver's continuation tokens use DES)"
start_s3
B=$S3_BUCKET O=$S3_ENDPOINT/$B
common_facts launcher
[[ $(s3_curl "http://$B.s3.localhost:$S3_PORT/p/hello.txt") == hello ]] || fail "launcher vhost"
fact "launcher: virtual-host style (BUCKET.s3.localhost:PORT) works"
run 0 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix "p/a(1)!*'"
fact "launcher: a query value with ( ) ! ' * is checked as AWS signs it"
echo "(the launcher's other fixes: tests/e2e/s3_harness_test.sh)"
