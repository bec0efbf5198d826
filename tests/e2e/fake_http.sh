# tests/e2e/fake_http.sh: the scripted fake S3 (tests/harness/fake_http.py) for one test,
# on a free loopback port, stopped when the test exits. Source it after lib.sh.
# The script format: tests/harness/fake_http.py's docstring and tests/harness/npm/README.md.
#
#   start_fake_http SCRIPT.json   starts it; sets FAKE_PORT, FAKE_ENDPOINT=http://127.0.0.1:PORT,
#                                 FAKE_LOG (one JSON line per request) and, for lifeboat,
#                                 exports AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (any
#                                 value: the fake checks no signature) and AWS_DEFAULT_REGION
#   fake_url PREFIX               s3://lifeboat-test/PREFIX?region=us-east-1&endpoint=http://127.0.0.1:PORT&path_style=1
#                                 (the bucket is $FAKE_BUCKET, default lifeboat-test)
#   fake_count EXPR               how many logged requests r satisfy the python expression
#                                 EXPR, e.g. fake_count 'r["method"] == "DELETE" and "uploadId" in r["query"]'
#   fake_requests EXPR            those requests, one JSON line each
#   stop_fake_http                stops it now (on exit anyway)
: "${FAKE_BUCKET:=lifeboat-test}"
_fake_pid=

start_fake_http() {
  local script=$1
  FAKE_DIR=$(mktemp -d /tmp/lifeboat-fake.XXXXXX)
  FAKE_LOG=$FAKE_DIR/requests.jsonl
  : >"$FAKE_LOG"
  on_exit "stop_fake_http; rm -rf $FAKE_DIR"
  "${_lifeboat_py:-python3}" "$LIFEBOAT_SOURCE_DIR/tests/harness/fake_http.py" "$script" "$FAKE_DIR/port" --log "$FAKE_LOG" \
    </dev/null >"$FAKE_DIR/stdout" 2>"$FAKE_DIR/stderr" &
  _fake_pid=$!
  FAKE_PORT=$(wait_port_file "$FAKE_DIR" "$_fake_pid" fake_http.py) || exit 1
  FAKE_ENDPOINT=http://127.0.0.1:$FAKE_PORT
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-FAKEKEY} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-fake-secret}
  export AWS_DEFAULT_REGION=us-east-1
}

stop_fake_http() {
  stop_server "$_fake_pid" 30
  _fake_pid=
}

fake_url() { echo "s3://$FAKE_BUCKET/$1?region=us-east-1&endpoint=$FAKE_ENDPOINT&path_style=1"; }

_fake_select() { jsonl_select "$FAKE_LOG" "$1" "$2"; } # _fake_select count|lines EXPR
fake_count() { _fake_select count "$1"; }
fake_requests() { _fake_select lines "$1"; }
