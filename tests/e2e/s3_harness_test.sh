#!/usr/bin/env bash
# The S3 test server (tests/e2e/s3.sh, tests/harness/s3rver.js) is one a wrong client
# cannot pass: it refuses a wrong secret, the default key pair, unsigned requests,
# expired or altered presigned URLs, chunked uploads and bodies that do not match their
# hash; it answers the real aws CLI; it lists, pages, aborts and completes uploads as
# AWS does. Each behaviour against stock s3rver: tests/harness/s3rver_check.sh.
# Runs without lifeboat: LIFEBOAT=/bin/false bash tests/e2e/s3_harness_test.sh
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/s3.sh"
start_s3
B=$S3_BUCKET
O=$S3_ENDPOINT/$B

echo hello > hello.txt
run 0 aws_s3 s3 cp hello.txt "s3://$B/p/hello.txt"
run 0 aws_s3 s3 ls "s3://$B/p/"
contains "$OUT" "hello.txt" "aws s3 ls"
run 0 aws_s3 s3 cp "s3://$B/p/hello.txt" -
[[ $OUT == hello ]] || fail "aws s3 cp back gave '$OUT'"
pass "aws s3 cp and ls with the right credentials"

AWS_SECRET_ACCESS_KEY=wrong-secret run 1 aws_s3 s3 cp hello.txt "s3://$B/p/wrong.txt"
contains "$ERR" "SignatureDoesNotMatch"
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER run 254 aws_s3 s3api list-objects-v2 --bucket "$B"
contains "$ERR" "InvalidAccessKeyId"
[[ ! -e $(s3_key_path p/wrong.txt) ]] || fail "a wrongly signed PUT stored an object"
[[ $(curl -s -o unsigned.xml -w '%{http_code}' "$O/p/hello.txt") == 403 ]] || fail "an unsigned GET was served"
contains "$(cat unsigned.xml)" "<Code>AccessDenied</Code>"
[[ $(curl -s -o /dev/null -w '%{http_code}' -T hello.txt "$O/p/anon.txt") == 403 ]] || fail "an unsigned PUT was accepted"
pass "a wrong secret, s3rver's default keys and unsigned requests are refused"

[[ $(s3_curl "http://$B.s3.localhost:$S3_PORT/p/hello.txt") == hello ]] || fail "a virtual-host-style GET"
run 0 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix "p/a(1)!*'"
pass "virtual-host style, and query values with ( ) ! ' *, are signed as AWS signs them"

# (X-Amz-Date has whole seconds: a URL for 1 s may have less left when it arrives.)
run 0 aws_s3 s3 presign "s3://$B/p/hello.txt" --expires-in 1
short=$OUT
run 0 aws_s3 s3 presign "s3://$B/p/hello.txt" --expires-in 300
url=$OUT
[[ $(curl -s "$url") == hello ]] || fail "a presigned URL did not serve the object"
[[ $(curl -s -o /dev/null -w '%{http_code}' "${url/X-Amz-Signature=/X-Amz-Signature=0}") == 403 ]] \
  || fail "an altered presigned URL was served"
[[ $(curl -s -o /dev/null -w '%{http_code}' "${url/X-Amz-Expires=300/X-Amz-Expires=3000}") == 403 ]] \
  || fail "a presigned URL with a longer expiry was served"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$url") == 403 ]] || fail "a presigned GET URL deleted"
sleep 2
[[ $(curl -s "$short") == *"Request has expired"* ]] || fail "an expired presigned URL was served"
pass "presigned URLs work, and expire, and cannot be altered"

# A chunked upload (AWS answers 501) and bodies that do not match their hash are refused.
head -c 3000 /dev/urandom > r.bin
[[ $(s3_curl -o te.xml -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T r.bin "$O/p/te.bin") == 501 ]] \
  || fail "a chunked PUT was not refused: $(cat te.xml)"
S3_CURL_SHA256=$(printf x | sha256sum | cut -c1-64) run 0 s3_curl -o /dev/null -w '%{http_code}' -T r.bin "$O/p/sha.bin"
[[ $OUT == 400 ]] || fail "a PUT whose x-amz-content-sha256 is wrong answered $OUT"
S3_CURL_SHA256=$(sha256sum <r.bin | cut -c1-64) run 0 s3_curl -o /dev/null -w '%{http_code}' -T r.bin "$O/p/sha.bin"
[[ $OUT == 200 ]] || fail "a PUT with the right x-amz-content-sha256 answered $OUT"
[[ $(s3_curl -o /dev/null -w '%{http_code}' -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' -T r.bin "$O/p/md5.bin") == 400 ]] \
  || fail "a PUT whose Content-MD5 is wrong was accepted"
[[ ! -e $(s3_key_path p/te.bin) && ! -e $(s3_key_path p/md5.bin) ]] || fail "a refused PUT stored an object"
pass "chunked uploads and bodies that do not match their hash are refused"

# A PUT cut off mid-body leaves the object it would have replaced.
head -c 200000 /dev/urandom > big.bin
s3_curl -o /dev/null --limit-rate 20K --max-time 1 -T big.bin "$O/p/hello.txt"
sleep 0.5
run 0 aws_s3 s3 cp "s3://$B/p/hello.txt" -
[[ $OUT == hello ]] || fail "a PUT cut off mid-body changed the object: $(wc -c <<<"$OUT") bytes"
pass "a PUT cut off mid-body leaves the old object whole"

# Listing: byte order, and paging by one neither skips nor repeats a key.
keys=(o/a o/a-b o/a.b o/ab "o/app-2/y" o/app/x "o/sp ace+(1)" "o/q'&<>")
for k in "${keys[@]}"; do mkdir -p "tree/$(dirname "$k")"; cp hello.txt "tree/$k"; done
run 0 aws_s3 s3 cp --recursive tree/o "s3://$B/o/"
want=$(printf '%s\n' "${keys[@]}" | LC_ALL=C sort)
run 0 aws_s3 s3api list-objects-v2 --bucket "$B" --prefix o/ --page-size 1 --query 'Contents[].Key' --output json
got=$(json_field "$OUT" '"\n".join(d)')
[[ $got == "$want" ]] || fail "paged listing:
$got
wanted:
$want"
pass "ListObjectsV2 pages by one in byte order, keys escaped once"

# Multipart: the aws CLI uploads 11 MB in two parts; the ETag is AWS's multipart form.
head -c 11000000 /dev/urandom > mp.bin
run 0 aws_s3 s3 cp mp.bin "s3://$B/mp/mp.bin"
run 0 aws_s3 s3api head-object --bucket "$B" --key mp/mp.bin --query ETag --output text
[[ $OUT == '"'*'-2"' ]] || fail "the multipart ETag is $OUT"
run 0 aws_s3 s3 cp "s3://$B/mp/mp.bin" back.bin
cmp -s mp.bin back.bin || fail "the multipart object came back different"
run 0 aws_s3 s3api create-multipart-upload --bucket "$B" --key mp/left.bin --query UploadId --output text
id=$OUT
run 0 aws_s3 s3api list-multipart-uploads --bucket "$B" --prefix mp/ --query 'Uploads[].[Key,UploadId]' --output text
contains "$OUT" "mp/left.bin	$id" "list-multipart-uploads"
# Complete refuses a part smaller than 5 MiB that is not the last, and a wrong ETag.
printf 'small' > small.bin
run 0 aws_s3 s3api upload-part --bucket "$B" --key mp/left.bin --upload-id "$id" --part-number 1 --body small.bin --query ETag --output text
e1=$OUT
run 0 aws_s3 s3api upload-part --bucket "$B" --key mp/left.bin --upload-id "$id" --part-number 2 --body small.bin --query ETag --output text
run 254 aws_s3 s3api complete-multipart-upload --bucket "$B" --key mp/left.bin --upload-id "$id" \
  --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$OUT}]}"
contains "$ERR" "EntityTooSmall"
run 254 aws_s3 s3api complete-multipart-upload --bucket "$B" --key mp/left.bin --upload-id "$id" \
  --multipart-upload '{"Parts":[{"PartNumber":1,"ETag":"\"0123456789abcdef0123456789abcdef\""}]}'
contains "$ERR" "InvalidPart"
run 0 aws_s3 s3api abort-multipart-upload --bucket "$B" --key mp/left.bin --upload-id "$id"
run 0 aws_s3 s3api list-multipart-uploads --bucket "$B" --query 'Uploads[].Key' --output text
[[ $OUT == None || -z $OUT ]] || fail "an aborted upload is still listed: $OUT"
run 254 aws_s3 s3api upload-part --bucket "$B" --key mp/left.bin --upload-id "$id" --part-number 3 --body small.bin
contains "$ERR" "NoSuchUpload"
pass "multipart uploads complete, abort, list and check their parts as AWS does"
