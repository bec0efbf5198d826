# tests/e2e/s3.sh: a real S3-compatible server (s3rver, which verifies SigV4 signatures
# and presigned URLs) for one test, in a temporary directory on a free loopback port,
# stopped when the test exits. Source it after lib.sh and call start_s3.
# What s3rver does, and what tests/harness/s3rver.js changes: tests/harness/npm/README.md.
#
#   start_s3 [--stock] [--tls] [--bucket NAME]...
#       starts it with the bucket $S3_BUCKET (default lifeboat-test) and any --bucket
#       given, waits until it answers, and exports
#         AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  random test credentials (not s3rver's
#                                                   S3RVER/S3RVER, which it refuses)
#         AWS_DEFAULT_REGION=us-east-1
#         S3_PORT, S3_ENDPOINT=http://127.0.0.1:PORT, S3_BUCKET
#         S3_DIR (its temporary directory), S3_DATA (where it keeps the objects:
#         S3_DATA/BUCKET/KEY._S3rver_object), S3_LOG (its log)
#       and unsets AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION and AWS_CA_BUNDLE. With --stock, s3rver
#       runs without the launcher's AWS-compatibility fixes (README, "What s3rver does").
#       With --tls, it serves HTTPS with a certificate for 127.0.0.1 and localhost signed
#       by a test CA made for this run: S3_ENDPOINT is https://..., S3_CA the CA's file
#       (aws_s3 trusts it; lifeboat only when told, through AWS_CA_BUNDLE).
#   s3_url PREFIX        s3://BUCKET/PREFIX?region=us-east-1&endpoint=http://127.0.0.1:PORT&path_style=1
#   s3_vhost_url PREFIX  s3://BUCKET/PREFIX?region=us-east-1&endpoint=http://s3.localhost:PORT
#                        (virtual-host style: BUCKET.s3.localhost, which resolves to loopback)
#   aws_s3 ARGS...       Debian's aws CLI (/usr/bin/aws) against the server:
#                        `aws_s3 s3 ls s3://$S3_BUCKET/`, `aws_s3 s3api head-object ...`;
#                        path style, no pager, no user config; stdin is /dev/null
#   s3_curl ARGS... URL  curl, signed with SigV4 by curl itself, for raw requests:
#                        `s3_curl -T f "$S3_ENDPOINT/$S3_BUCKET/k"`; x-amz-content-sha256
#                        is $S3_CURL_SHA256 (default UNSIGNED-PAYLOAD).
#                        curl 7.88 signs a query string as written: write a valueless
#                        parameter as `uploads=` and percent-encode values (`prefix=a%2Fb`)
#   s3_key_path KEY      the file where s3rver keeps object KEY of $S3_BUCKET
#   stop_s3              stops it now (on exit anyway); the data stays until exit
: "${S3_BUCKET:=lifeboat-test}"
_s3_pid=

start_s3() {
  local stock=() buckets=("$S3_BUCKET") tls=0 scheme=http
  while [[ $# -gt 0 ]]; do
    case $1 in
      --stock) stock=(--stock); shift ;;
      --tls) tls=1; scheme=https; shift ;;
      --bucket) buckets+=("$2"); shift 2 ;;
      *) fail "start_s3: unknown argument '$1'" ;;
    esac
  done
  local src=$LIFEBOAT_SOURCE_DIR/tests/harness
  command -v node >/dev/null || skip "Node.js is not installed (scripts/install-deps.sh installs it)"
  command -v curl >/dev/null || skip "curl is not installed (scripts/install-deps.sh installs it)"
  [[ -x /usr/bin/aws ]] || skip "Debian's aws CLI (/usr/bin/aws, package awscli) is not installed (scripts/install-deps.sh installs it)"
  [[ -f $src/npm/node_modules/@20minutes/s3rver/package.json ]] \
    || skip "the npm package @20minutes/s3rver is not installed in tests/harness/npm (scripts/install-deps.sh runs npm ci there)"
  S3_DIR=$(mktemp -d /tmp/lifeboat-s3.XXXXXX)
  S3_DATA=$S3_DIR/data
  S3_LOG=$S3_DIR/server.log
  on_exit "stop_s3; rm -rf $S3_DIR"
  AWS_ACCESS_KEY_ID="LBTEST$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
  AWS_SECRET_ACCESS_KEY="lb-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  local args=(--directory "$S3_DATA" --access-key-id "$AWS_ACCESS_KEY_ID"
              --secret "$AWS_SECRET_ACCESS_KEY" --port-file "$S3_DIR/port" --verbose "${stock[@]}")
  local b
  for b in "${buckets[@]}"; do args+=(--bucket "$b"); done
  S3_CA=
  if ((tls)); then
    S3_CA=$S3_DIR/ca.pem
    make_test_ca "$S3_DIR" || fail "openssl could not make the test certificates"
    args+=(--tls-key "$S3_DIR/server.key" --tls-cert "$S3_DIR/server.pem")
  fi
  NODE_OPTIONS=--openssl-legacy-provider node "$src/s3rver.js" "${args[@]}" \
    </dev/null >"$S3_LOG" 2>&1 &
  _s3_pid=$!
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s $S3_DIR/port ]] && break
    kill -0 "$_s3_pid" 2>/dev/null || fail "s3rver did not start: $(cat "$S3_LOG")"
    sleep 0.1
  done
  [[ -s $S3_DIR/port ]] || fail "s3rver did not listen within 30 s: $(cat "$S3_LOG")"
  S3_PORT=$(<"$S3_DIR/port")
  S3_ENDPOINT=$scheme://127.0.0.1:$S3_PORT
  # It answers once any HTTP status comes back (an unsigned request is 403 by design).
  for ((i = 0; i < 100; i++)); do
    [[ $(curl -s ${S3_CA:+--cacert "$S3_CA"} -o /dev/null -w '%{http_code}' --max-time 2 "$S3_ENDPOINT/") != 000 ]] && break
    sleep 0.1
  done
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_CA_BUNDLE
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1
  export S3_PORT S3_ENDPOINT S3_BUCKET S3_DIR S3_DATA S3_LOG S3_CA
  cat >"$S3_DIR/aws-config" <<EOF
[default]
region = us-east-1
s3 =
  addressing_style = path
EOF
}

stop_s3() {
  stop_server "$_s3_pid" 50
  _s3_pid=
}

s3_url() { echo "s3://$S3_BUCKET/$1?region=us-east-1&endpoint=$S3_ENDPOINT&path_style=1"; }
s3_vhost_url() { echo "s3://$S3_BUCKET/$1?region=us-east-1&endpoint=${S3_ENDPOINT%%://*}://s3.localhost:$S3_PORT"; }
# make_test_ca DIR: DIR/ca.pem (a CA made now) and DIR/server.{key,pem} (its certificate
# for 127.0.0.1, localhost and *.s3.localhost).
make_test_ca() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lifeboat test CA $$" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:s3.localhost,DNS:*.s3.localhost\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
}
s3_curl() {
  curl -s ${S3_CA:+--cacert "$S3_CA"} --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: ${S3_CURL_SHA256:-UNSIGNED-PAYLOAD}" "$@"
}
s3_key_path() { echo "$S3_DATA/$S3_BUCKET/$1._S3rver_object"; }

aws_s3() {
  [[ -x /usr/bin/aws ]] || skip "Debian's aws CLI (/usr/bin/aws, package awscli) is not installed (scripts/install-deps.sh installs it)"
  AWS_CONFIG_FILE=$S3_DIR/aws-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
    AWS_PAGER= AWS_EC2_METADATA_DISABLED=true AWS_CLI_AUTO_PROMPT=off \
    /usr/bin/aws --endpoint-url "$S3_ENDPOINT" ${S3_CA:+--ca-bundle "$S3_CA"} "$@" </dev/null
}
