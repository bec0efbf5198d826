# tests/e2e/cloudinary.sh: the fake Cloudinary (tests/harness/fake_cloudinary.py, whose
# docstring says what it checks) for one test, on a free loopback port, stopped when the
# test exits. Source it after lib.sh. Its settings are environment variables read when it
# starts (FAKE_CLD_MIN_CHUNK, FAKE_CLD_RAW_MAX_SIZE, FAKE_CLD_MAX_RESULTS, ...): export
# them before start_cld.
#
#   start_cld [SCRIPT.json]  starts it (a script of scripted failures is optional); sets
#                            CLD_PORT, CLD_HOST=http://127.0.0.1:PORT, CLD_LOG (one JSON
#                            line per request) and exports CLOUDINARY_CLOUD_NAME,
#                            CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET (unsetting
#                            CLOUDINARY_URL)
#   cld_url PREFIX [OPTS]    cloudinary:///PREFIX?api_host=$CLD_HOST&OPTS (credentials from
#                            the three variables)
#   cld_count EXPR           how many logged requests r satisfy the python expression EXPR,
#                            e.g. cld_count 'r["api"] == "admin"'
#   cld_requests EXPR        those requests, one JSON line each
#   stop_cld                 stops it now (on exit anyway)
_cld_pid=

start_cld() {
  command -v python3 >/dev/null || skip "python3 is not installed"
  CLD_DIR=$(mktemp -d /tmp/lifeboat-cld.XXXXXX)
  CLD_LOG=$CLD_DIR/requests.jsonl
  : >"$CLD_LOG"
  on_exit "stop_cld; rm -rf $CLD_DIR"
  export FAKE_CLD_CLOUD=${FAKE_CLD_CLOUD:-lifeboat-test} FAKE_CLD_KEY=${FAKE_CLD_KEY:-123456789012345}
  export FAKE_CLD_SECRET=${FAKE_CLD_SECRET:-"cld-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"}
  local script=()
  [[ $# -gt 0 ]] && script=(--script "$1")
  # The interpreter itself, not lib.sh's python3 function: a function run with & is a
  # subshell, and $! would be that subshell, leaving the server running after stop_cld.
  "${_lifeboat_py:-python3}" "$LIFEBOAT_SOURCE_DIR/tests/harness/fake_cloudinary.py" "$CLD_DIR/port" --log "$CLD_LOG" "${script[@]}" \
    </dev/null >"$CLD_DIR/stdout" 2>"$CLD_DIR/stderr" &
  _cld_pid=$!
  CLD_PORT=$(wait_port_file "$CLD_DIR" "$_cld_pid" fake_cloudinary.py) || exit 1
  CLD_HOST=http://127.0.0.1:$CLD_PORT
  unset CLOUDINARY_URL
  export CLOUDINARY_CLOUD_NAME=$FAKE_CLD_CLOUD CLOUDINARY_API_KEY=$FAKE_CLD_KEY
  export CLOUDINARY_API_SECRET=$FAKE_CLD_SECRET
}

stop_cld() {
  stop_server "$_cld_pid" 30
  _cld_pid=
}

cld_url() { echo "cloudinary:///$1?api_host=$CLD_HOST${2:+&$2}"; }

_cld_select() { jsonl_select "$CLD_LOG" "$1" "$2"; } # _cld_select count|lines EXPR
cld_count() { _cld_select count "$1"; }
cld_requests() { _cld_select lines "$1"; }
