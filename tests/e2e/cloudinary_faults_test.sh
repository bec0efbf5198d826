#!/usr/bin/env bash
# Cloudinary failures, scripted in the fake (tests/harness/fake_cloudinary.py): a 503 and a
# dropped connection in the middle of a chunked upload (the chunk is sent again through the
# shared retry layer and the backup completes), a rate-limited Admin API (420 with
# X-FeatureRateLimit-Reset: far off, a clear failure naming the reset time; near, waited
# for), the Admin API calls of a nightly run (backup + prune) with 54 backups stored, and a
# backup over the plan's raw file limit (from /usage), stored as parts.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/cloudinary.sh"
export FAKE_CLD_MIN_CHUNK=$((1024 * 1024)) FAKE_CLD_RAW_MAX_SIZE=$((100 * 1024 * 1024))
opts="chunk_size=1048576&min_chunk_size=1048576"
head -c 3500000 /dev/urandom > big.bin
sqlite3 big.db "create table b(x blob); insert into b values (readfile('big.bin'))"

cat > chunk-faults.json <<'JSON'
{"rules": [
  {"api": "chunk", "nth": 2, "times": 1, "action": "respond", "status": 503,
   "body": {"error": {"message": "Service Unavailable"}}},
  {"api": "chunk", "nth": 4, "times": 1, "action": "drop"}
]}
JSON
start_cld chunk-faults.json
url=$(cld_url faults "$opts")
run 0 lb backup --db big.db --to "$url" --json --compress none
bid=$(json_field "$OUT" 'd["id"]')
[[ $(cld_count 'r["api"] == "chunk" and r["status"] == 503') == 1 ]] || fail "the 503 was not served"
[[ $(cld_count 'r["api"] == "chunk" and r["status"] == "dropped"') == 1 ]] || fail "the drop was not served"
cld_requests 'r["api"] == "chunk"' | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
ranges = [r["content_range"] for r in rows]
# each failed chunk is followed by the same chunk again
for i, r in enumerate(rows):
    if r["status"] != 200:
        assert ranges[i + 1] == ranges[i], (i, ranges)
assert len({r["upload_id"] for r in rows}) == 1, "one upload id"
' || fail "a failed chunk was not sent again as it was"
run 0 lb restore --backup-id "$bid" --target restored.db --yes --to "$url"
sqlite3 restored.db "select writefile('out.bin', x) from b" >/dev/null
cmp -s big.bin out.bin || fail "the retried chunked upload restored other bytes"
pass "a 503 and a dropped connection mid-chunked-upload: the chunk is sent again, the backup completes"
stop_cld

# The Admin API's hourly limit, far from its reset: a clear failure, exit 1, the reset time.
cat > rate-far.json <<'JSON'
{"rules": [
  {"api": "admin", "action": "respond", "status": 420,
   "body": {"error": {"message": "Rate Limit Exceeded"}},
   "headers": {"X-FeatureRateLimit-Limit": "500", "X-FeatureRateLimit-Remaining": "0",
               "X-FeatureRateLimit-Reset": "+1800"}}
]}
JSON
start_cld rate-far.json
url=$(cld_url rl "$opts")
start=$SECONDS
run 1 lb list --to "$url"
contains "$ERR" "rate limit of 500 calls an hour is reached"
contains "$ERR" "it resets at $(date -u -d @$(( $(date +%s) + 1800 )) +%Y-%m-%dT%H)"
(( SECONDS - start < 30 )) || fail "a far-off rate limit was waited for ($((SECONDS - start)) s)"
[[ $(cld_count 'r["api"] == "admin"') == 1 ]] || fail "a far-off rate limit was retried"
pass "a rate limit far from its reset fails at once, naming the limit and the reset time"
stop_cld

# Near its reset: waited for through the retry layer, then the call succeeds.
cat > rate-near.json <<'JSON'
{"rules": [
  {"api": "admin", "times": 1, "action": "respond", "status": 429,
   "body": {"error": {"message": "Rate Limit Exceeded"}},
   "headers": {"X-FeatureRateLimit-Limit": "500", "X-FeatureRateLimit-Remaining": "0",
               "X-FeatureRateLimit-Reset": "+2"}}
]}
JSON
start_cld rate-near.json
url=$(cld_url rl "$opts")
run 0 lb list --to "$url" --json
[[ $(cld_count 'r["api"] == "admin"') -ge 2 ]] || fail "a near rate limit was not retried"
pass "a rate limit that resets within a minute is waited for, then the call succeeds"
stop_cld

# A nightly run (backup + prune) with 54 backups stored makes a few Admin API calls.
start_cld
url=$(cld_url nightly "$opts")
sqlite3 tiny.db "create table t(x); insert into t values (1);"
for i in $(seq 54); do run 0 lb backup --db tiny.db --to "$url" --no-prune; done
: >"$CLD_LOG"
run 0 lb backup --db tiny.db --to "$url"
run 0 lb prune --to "$url"
admin=$(cld_count 'r["api"] == "admin"')
echo "Admin API calls of backup + prune with 54 backups stored: $admin"
(( admin <= 5 )) || fail "a nightly run made $admin Admin API calls: $(cld_requests 'r["api"] == "admin"')"
pass "a nightly backup + prune with 54 backups stored makes $admin Admin API calls (at most 5)"
stop_cld

# A backup larger than the plan's largest raw file (media_limits.raw_max_size of /usage,
# asked once and only when an upload passes 10 MB, the smallest plan's limit) is stored as
# parts, each within the limit; a write that bypasses the parts (a direct upload over the
# limit) fails before its last chunk, clearly.
export FAKE_CLD_RAW_MAX_SIZE=$((10 * 1024 * 1024))
start_cld
url=$(cld_url plan "$opts")
head -c 11000000 /dev/urandom > huge.bin
sqlite3 huge.db "create table b(x blob); insert into b values (readfile('huge.bin'))"
run 0 lb backup --db huge.db --to "$url" --compress none --json
hid=$(json_field "$OUT" 'd["id"]')
[[ $(cld_count 'r["path"].endswith("/usage")') == 1 ]] || fail "/usage was not asked exactly once"
[[ $(cld_count 'r["status"] == 400') == 0 ]] || fail "the fake refused a request"
run 0 lb restore --backup-id "$hid" --target huge-restored.db --yes --to "$url"
sqlite3 huge-restored.db "select writefile('huge-out.bin', x) from b" >/dev/null
cmp -s huge.bin huge-out.bin || fail "a backup split at the plan's limit restored other bytes"
run 0 lb url --backup-id "$hid" --to "$url" --json
[[ $(json_field "$OUT" 'len(d["parts"])') == 2 ]] || fail "an 11 MB backup under a 10 MiB limit is not 2 parts"
pass "a backup over the plan's limit from /usage is stored as 2 parts and restores"
