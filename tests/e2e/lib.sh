# tests/e2e/lib.sh: helpers for end-to-end scripts. Source it first.
set -uo pipefail
: "${LIFEBOAT:?set LIFEBOAT to the lifeboat binary}"
: "${LIFEBOAT_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${LIFEBOAT_SHARED_DIR:=$LIFEBOAT_SOURCE_DIR/../shared}"
unset LIFEBOAT_STORAGE DATABASE_URL
export XDG_CONFIG_HOME=/nonexistent-lifeboat-test

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-e2e.XXXXXX")
cd "$T" || exit 1
_failed=0
_cleanups=()
cleanup() {
  local c
  for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
  if [[ $_failed -ne 0 || -n "${LIFEBOAT_KEEP_TEMP:-}" ]]; then
    echo "kept test directory: $T"
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT
on_exit() { _cleanups+=("$1"); }

fail() { echo "FAIL: $*" >&2; _failed=1; exit 1; }

# stop_server PID TENTHS: SIGTERM, up to TENTHS tenths of a second to exit, then SIGKILL.
stop_server() {
  [[ -n $1 ]] || return 0
  kill "$1" 2>/dev/null
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
pass() { echo "ok: $*"; }

skip() {
  if [[ "${CI:-}" == "true" || "${LIFEBOAT_TEST_NO_SKIP:-}" == "1" ]]; then
    fail "skipped under CI (a skip is a failure here): $*"
  fi
  echo "SKIPPED: $*"
  exit 77
}

lb() { "$LIFEBOAT" "$@"; }

# run EXPECTED_EXIT CMD...: runs CMD with stdin from /dev/null, captures stdout in
# $OUT and stderr in $ERR, and fails unless the exit code is EXPECTED_EXIT.
run() {
  local want=$1; shift
  OUT=$("$@" </dev/null 2>"$T/.stderr"); RC=$?
  ERR=$(cat "$T/.stderr")
  if [[ "$RC" != "$want" ]]; then
    fail "expected exit $want, got $RC from: $*
stdout: $OUT
stderr: $ERR"
  fi
}

contains() { # contains HAYSTACK NEEDLE [what]
  [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2': $1"
}
not_contains() {
  [[ "$1" != *"$2"* ]] || fail "${3:-output} contains '$2': $1"
}

# make_db PATH ROWS: a database with two related tables and ROWS orders.
make_db() {
  sqlite3 "$1" >/dev/null <<SQL
PRAGMA journal_mode=${JOURNAL_MODE:-WAL};
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), note TEXT, data BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO customers SELECT i, 'customer ' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO orders SELECT i, 1 + i % 100, 'order ' || i, randomblob(100) FROM n;
SQL
}

# Resolve python3 once: behind a version manager's shim (pyenv) each start costs ~0.5 s.
_lifeboat_py=$(python3 -c 'import sys; print(sys.executable)') && python3() { "$_lifeboat_py" "$@"; }

# wait_port_file DIR PID NAME: waits until the fake server NAME (pid PID) has written
# DIR/port (its stderr in DIR/stderr), 10 s at most, and prints the port.
wait_port_file() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $1/port ]] && break
    kill -0 "$2" 2>/dev/null || fail "$3 did not start: $(cat "$1/stderr")"
    sleep 0.1
  done
  [[ -s $1/port ]] || fail "$3 did not listen within 10 s: $(cat "$1/stderr")"
  cat "$1/port"
}

# jsonl_select LOG count|lines EXPR: of a fake server's request log (one JSON object a
# line), how many rows r satisfy the python expression EXPR, or those rows.
jsonl_select() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
log, mode, expr = sys.argv[1:]
rows = [json.loads(l) for l in open(log, encoding="utf-8") if l.strip()]
hits = [r for r in rows if eval(expr, {}, {"r": r})]
print(len(hits) if mode == "count" else "\n".join(json.dumps(r, sort_keys=True) for r in hits))
EOF
}

json_field() { # json_field JSON EXPR (python3 expression on `d`)
  python3 -c "import json,sys; d=json.load(sys.stdin); print($2)" <<<"$1"
}
