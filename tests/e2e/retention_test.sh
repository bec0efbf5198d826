#!/usr/bin/env bash
# Retention: 400 days of imported history pruned by the default policy exactly as an
# independent model of restic's `forget` says; dry runs change nothing; flags replace the
# policy; a policy keeping nothing is refused; kill -9 in the middle of a prune never leaves
# a listed backup without its data; young leftovers are never touched; prunes running next
# to backups never lose the new backup; backup prunes afterwards unless --no-prune.
source "$(dirname "$0")/lib.sh"
SECONDS=0

# ---------------------------------------------------------------------------------------
# The model: restic's ApplyPolicy written out plainly, independent of src/core/retention.
#   walk newest first; each count rule keeps an item whose bucket differs from the bucket of
#   the item the rule kept before, while it has count left; when the OLDEST item of all is
#   reached and the rule still has count left it is kept too ("oldest daily #N" when it is
#   in the bucket kept before). within: strictly newer than (newest - span). Lifeboat keeps
#   the newest item always ("newest" when no rule does).
# Policies are JSON: {"daily": 30, "weekly": 12, "monthly": 12}, {"last": 5},
# {"within_hours": 1, "within_text": "1h"}.
cat > model.py <<'PY'
import datetime as dt, json, sys

def parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")

RULES = [
    ("last", lambda t, nr: nr),
    ("hourly", lambda t, nr: (t.date(), t.hour)),
    ("daily", lambda t, nr: t.date()),
    ("weekly", lambda t, nr: tuple(t.date().isocalendar())[:2]),
    ("monthly", lambda t, nr: (t.year, t.month)),
    ("yearly", lambda t, nr: t.year),
]

def decide(items, policy):
    """items: [(id, datetime)]; returns [(id, keep, [reasons])] newest first."""
    order = sorted(items, key=lambda x: x[1], reverse=True)
    state = {name: {"left": policy.get(name, 0), "bucket": None, "kept": 0} for name, _ in RULES}
    within = None
    if "within_hours" in policy:
        within = dt.timedelta(hours=policy["within_hours"])
    out = []
    for nr, (bid, t) in enumerate(order):
        reasons = []
        if within is not None and t > order[0][1] - within:
            reasons.append("within " + policy["within_text"])
        for name, bucket_of in RULES:
            s = state[name]
            if s["left"] == 0 or s["left"] < -1:
                continue
            b = bucket_of(t, nr)
            if b != s["bucket"] or nr == len(order) - 1:
                oldest = b == s["bucket"]
                s["bucket"] = b
                if s["left"] > 0:
                    s["left"] -= 1
                s["kept"] += 1
                reasons.append(("oldest " if oldest else "") + f"{name} #{s['kept']}")
        out.append([bid, bool(reasons), reasons])
    if out and not out[0][1]:
        out[0][1] = True
        out[0][2] = ["newest"]
    return out

def items_of(list_file, name):
    return [(e["id"], parse_time(e["time"])) for e in json.load(open(list_file))
            if name is None or e["name"] == name]

def main():
    cmd, policy, list_file = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    if cmd == "expect":  # expect POLICY LIST [NAME] [EXTRA_ID...]: "keep ID" / "remove ID" lines
        name = sys.argv[4] if len(sys.argv) > 4 else None
        items = items_of(list_file, name)
        for extra in sys.argv[5:]:
            items.append((extra, dt.datetime.strptime(extra[-15:], "%Y%m%d-%H%M%S")))
        for bid, keep, reasons in decide(items, policy):
            print(("keep " if keep else "remove ") + bid)
        return
    if cmd == "check":  # check POLICY LIST PRUNE_JSON NAME: exit 1 and say why on a difference
        report, name = json.load(open(sys.argv[4])), sys.argv[5]
        want = decide(items_of(list_file, name), policy)
        dbs = [d for d in report["databases"] if d["name"] == name]
        got = [[b["id"], b["action"] == "keep", b["reasons"]] for b in dbs[0]["backups"]] if dbs else []
        if got != want:
            gi = {g[0]: g for g in got}
            diffs = [f"  {w[0]}: model {w[1:]} prune {gi.get(w[0], ['missing'])[1:]}"
                     for w in want if gi.get(w[0]) != w]
            extra = sorted(set(gi) - {w[0] for w in want})
            print(f"prune differs from the model for {policy} ({len(diffs)} items):\n" +
                  "\n".join(diffs[:20]) + (f"\n  only in prune: {extra}" if extra else ""))
            sys.exit(1)
        print(f"{sum(1 for w in want if w[1])} kept, {sum(1 for w in want if not w[1])} removed")
        return
    if cmd == "text":  # text POLICY LIST TEXT_FILE NAME: every id on a line with action and reasons
        text, name = open(sys.argv[4]).read().splitlines(), sys.argv[5]
        lines = {l.split()[0]: l for l in text if l.startswith("  " + name + "-")}
        for bid, keep, reasons in decide(items_of(list_file, name), policy):
            line = lines.get(bid)
            if line is None:
                sys.exit(f"the text output has no line for {bid}")
            action = line.split()[5]  # ID DATE TIME SIZE UNIT ACTION REASONS...
            if action != ("keep" if keep else "remove"):
                sys.exit(f"text output: {bid} is '{action}', the model says keep={keep}: {line}")
            if keep and not line.rstrip().endswith(", ".join(reasons)):
                sys.exit(f"text output: {bid} reasons differ from {reasons}: {line}")
        return
    sys.exit("unknown command " + cmd)

main()
PY
DEFAULT='{"daily": 30, "weekly": 12, "monthly": 12, "within_hours": 48, "within_text": "2d"}'
model() { python3 "$T/model.py" "$@"; }
# snap DIR: one hash over every file's name, size, mtime and content.
snap() { (cd "$1" && find . -type f -printf '%P %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
# ids_in DIR NAME: the backup ids that have a manifest, sorted.
ids_in() { (cd "$1/$2" 2>/dev/null && ls -- *.manifest.json 2>/dev/null | sed 's/\.manifest\.json$//' | sort); }
# orphans DIR: objects whose backup id has no manifest.
orphans() {
  python3 - "$1" <<'PY'
import os, re, sys
root = sys.argv[1]
for name in sorted(os.listdir(root)):
    files = os.listdir(os.path.join(root, name))
    ids = {f[:-len(".manifest.json")] for f in files if f.endswith(".manifest.json")}
    for f in sorted(files):
        m = re.match(r"^(.+-\d{8}-\d{6}(?:-\d+)?)\.", f)
        # A removed backup's reservation stays a day on purpose (its id stays taken).
        if m and m.group(1) not in ids and not f.endswith(".reserved"):
            print(f"{name}/{f}")
PY
}
# complete DIR: every manifest has its data object and .sha256 beside it.
complete() {
  python3 - "$1" <<'PY'
import json, os, sys
root, bad = sys.argv[1], []
for name in os.listdir(root):
    for f in os.listdir(os.path.join(root, name)):
        if f.endswith(".manifest.json"):
            bid = f[:-len(".manifest.json")]
            m = json.load(open(os.path.join(root, name, f)))
            for need in (m["data"]["key"], f"{name}/{bid}.sha256"):
                if not os.path.isfile(os.path.join(root, need)):
                    bad.append(f"{bid} lacks {need}")
sys.exit("\n".join(bad) if bad else 0)
PY
}

# ---------------------------------------------------------------------------------------
# 1. 400 days of seed-style files ending yesterday, plus three more on one day and one on
#    a Feb 29 when the range has one, imported with one call.
sqlite3 tiny.db "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);"
mkdir seed
python3 - <<'PY' > seed.txt
import calendar, datetime as dt, shutil
today = dt.datetime.now(dt.timezone.utc).date()
days = [today - dt.timedelta(days=i) for i in range(1, 401)]
names = [f"droplink-backup-{d:%Y%m%d}-030000.db" for d in days]
extra_day = today - dt.timedelta(days=10)
names += [f"droplink-backup-{extra_day:%Y%m%d}-{h}.db" for h in ("090000", "151515", "235959")]
names += [f"droplink-backup-{d:%Y%m%d}-120000.db" for d in days if d.month == 2 and d.day == 29]
for n in names:
    shutil.copy("tiny.db", "seed/" + n)
    print(n)
PY
n_seed=$(wc -l < seed.txt)
start=$(date +%s.%N)
run 0 lb import seed/*.db --to ./backups
import_s=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
[[ $(grep -c '^imported ' <<<"$OUT") == "$n_seed" ]] || fail "not every file was imported: $(tail -3 <<<"$OUT")"
python3 -c "import sys; sys.exit(0 if $import_s < 60 else 1)" || fail "importing $n_seed files took ${import_s}s"
run 0 lb list --to ./backups --json
echo "$OUT" > list.json
want_ids=$(sed -E 's/^droplink-backup-(.*)\.db$/droplink-\1/' seed.txt | sort)
[[ $(json_field "$OUT" '"\n".join(sorted(e["id"] for e in d))') == "$want_ids" ]] || fail "list --json does not show every import"
[[ $(json_field "$OUT" 'all(e["reason"] == "import" and e["name"] == "droplink" for e in d)') == True ]] || fail "names/reasons"
pass "imported $n_seed seed files in one call in ${import_s}s; list --json shows them all"

# ---------------------------------------------------------------------------------------
# 2. The default policy's dry run is exactly the model's, in --json and in text, and
#    changes nothing.
before=$(snap backups)
run 0 lb prune --dry-run --json --to ./backups
echo "$OUT" > dry.json
[[ $(json_field "$OUT" 'd["dry_run"]') == True ]] || fail "dry_run is not true"
summary=$(model check "$DEFAULT" list.json dry.json droplink) || fail "$summary"
n_remove=$(json_field "$OUT" 'd["removed"]')
[[ $n_remove -gt 300 ]] || fail "the default policy removes only $n_remove of $n_seed"
run 0 lb prune --dry-run --to ./backups
echo "$OUT" > dry.txt
msg=$(model text "$DEFAULT" list.json dry.txt droplink) || fail "$msg"
for r in "daily #1" "daily #30" "weekly #12" "monthly #12" "keep" "remove" "would remove $n_remove of $n_seed"; do
  contains "$OUT" "$r" "dry-run text"
done
[[ $(snap backups) == "$before" ]] || fail "a dry run changed the storage"
pass "dry run of the default policy equals the model ($summary), text lists every id, nothing changed"

# Other policies against the model on the same history (all through --keep-* flags).
check_policy() { # check_policy POLICY_JSON FLAGS...
  local policy=$1; shift
  run 0 lb prune --dry-run --json --to ./backups "$@"
  echo "$OUT" > policy.json
  summary=$(model check "$policy" list.json policy.json droplink) || fail "$* : $summary"
  echo "   $* -> $summary"
}
check_policy '{"last": 5}' --keep-last 5
check_policy '{"monthly": 20}' --keep-monthly 20
check_policy '{"weekly": 100, "daily": 3}' --keep-weekly 100 --keep-daily 3
check_policy '{"daily": 7, "yearly": 5}' --keep-daily 7 --keep-yearly 5
check_policy '{"last": 2, "hourly": 10}' --keep-last 2 --keep-hourly 10
check_policy '{"within_hours": 336, "within_text": "14d"}' --keep-within 14d
check_policy '{"daily": -1}' --keep-daily -1
[[ $(snap backups) == "$before" ]] || fail "dry runs changed the storage"
pass "seven more policies given as flags equal the model"

# The oldest rule, deterministically: the oldest backup shares its day with a newer one.
mkdir old_seed
for f in x-20260110-030000 x-20260105-030000 x-20260105-010000; do cp tiny.db "old_seed/$f.db"; done
run 0 lb import old_seed/*.db --to ./oldest
run 0 lb prune --dry-run --keep-daily 5 --json --to ./oldest
[[ $(json_field "$OUT" '[(b["id"], b["reasons"]) for b in d["databases"][0]["backups"]]') == \
   "[('x-20260110-030000', ['daily #1']), ('x-20260105-030000', ['daily #2']), ('x-20260105-010000', ['oldest daily #3'])]" ]] \
  || fail "oldest rule: $OUT"
run 0 lb prune --dry-run --keep-daily 2 --json --to ./oldest
[[ $(json_field "$OUT" '[b["action"] for b in d["databases"][0]["backups"]]') == "['keep', 'keep', 'remove']" ]] \
  || fail "a rule without count left keeps no oldest: $OUT"
pass "restic's oldest rule: kept while the rule has count left ('oldest daily #3'), not after"

# ---------------------------------------------------------------------------------------
# 3. The real prune removes exactly the dry run's set, frees what it measured, logs each
#    removal manifest first, and leaves a catalog that verifies.
cp -a backups pristine
dry_remove=$(json_field "$(cat dry.json)" '"\n".join(sorted(b["id"] for b in d["databases"][0]["backups"] if b["action"] == "remove"))')
dry_keep=$(json_field "$(cat dry.json)" '"\n".join(sorted(b["id"] for b in d["databases"][0]["backups"] if b["action"] == "keep"))')
measured=$(cd backups/droplink && for id in $dry_remove; do stat -c %s "$id".*; done | awk '{s += $1} END {print s}')
run 0 lb prune --json --to ./backups
echo "$ERR" > prune.err
[[ $(json_field "$OUT" 'd["dry_run"]') == False ]] || fail "dry_run is not false"
[[ $(json_field "$OUT" '"\n".join(sorted(b["id"] for b in d["databases"][0]["backups"] if b["action"] == "remove"))') == "$dry_remove" ]] \
  || fail "prune removed another set than its dry run"
[[ $(ids_in backups droplink) == "$dry_keep" ]] || fail "the manifests left are not the kept set"
[[ $(ls backups/droplink | grep -v '\.reserved$' | wc -l) == $(( 3 * $(wc -l <<<"$dry_keep") )) ]] || fail "objects of removed backups are left"
[[ $(ls backups/droplink | grep -c '\.reserved$') == $(wc -w <<<"$dry_remove") ]] || fail "removed ids are not kept reserved for a day"
[[ $(json_field "$OUT" 'd["bytes_freed"]') == "$measured" ]] || fail "bytes_freed $(json_field "$OUT" 'd["bytes_freed"]') != measured $measured"
[[ $(json_field "$OUT" 'd["removed"]') == "$n_remove" ]] || fail "removed count"
python3 - "$dry_remove" prune.err <<'PY' || fail "stderr does not log each removal manifest first"
import sys
ids, lines = sys.argv[1].split(), open(sys.argv[2]).read().splitlines()
pos = {}
for i, l in enumerate(lines):
    if l.startswith("prune: removed '"):
        pos[l.split("'")[1]] = i
for bid in ids:
    keys = [f"droplink/{bid}.{s}" for s in ("manifest.json", "sha256", "db.zst")]
    if not all(k in pos for k in keys):
        sys.exit(f"not logged: {[k for k in keys if k not in pos]}")
    if not pos[keys[0]] < min(pos[keys[1]], pos[keys[2]]):
        sys.exit(f"{bid}: the manifest was not removed first")
if len(pos) != 3 * len(ids):
    sys.exit(f"{len(pos)} removals logged for {len(ids)} backups")
PY
run 0 lb list --to ./backups --json
[[ $(json_field "$OUT" '"\n".join(sorted(e["id"] for e in d))') == "$dry_keep" ]] || fail "list after prune"
run 0 lb verify --all --to ./backups --json
[[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "verify --all after prune: $OUT"
run 0 lb prune --dry-run --json --to ./backups
[[ $(json_field "$OUT" 'd["removed"]') == 0 ]] || fail "a second prune would still remove: $OUT"
pass "prune removed exactly the dry run's $n_remove backups, freed $measured bytes as measured, logged each, verify --all passes"

# ---------------------------------------------------------------------------------------
# 4. Flags replace the policy; a policy keeping nothing is refused; the newest stays.
run 0 lb list --to ./backups --json
newest5=$(json_field "$OUT" '"\n".join(sorted(e["id"] for e in sorted(d, key=lambda e: e["time"])[-5:]))')
run 0 lb prune --dry-run --keep-last 5 --json --to ./backups
[[ $(json_field "$OUT" '"\n".join(sorted(b["id"] for b in d["databases"][0]["backups"] if b["action"] == "keep"))') == "$newest5" ]] \
  || fail "--keep-last 5 does not keep the 5 newest"
[[ $(json_field "$OUT" 'd["databases"][0]["policy"]') == *"5"* ]] || fail "policy text: $OUT"
before=$(snap backups)
run 2 lb prune --keep-daily 0 --to ./backups
contains "$ERR" "keeps nothing"
run 2 lb prune --keep-daily 0 --dry-run --json --to ./backups
[[ $(snap backups) == "$before" ]] || fail "a refused policy removed something"
pass "--keep-last 5 keeps the 5 newest; --keep-daily 0 exits 2 and removes nothing"

# A bad policy in the configuration stops a backup before anything is stored, rather
# than after (a backup followed by a failed prune).
printf '[retention]\ntimezone = "Mars/Base"\n' > badtz.toml
printf '[retention]\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\nkeep_within = "0d"\n' > keepnone.toml
sqlite3 tiny.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
run 2 lb --config badtz.toml backup --db tiny.db --to ./refused
contains "$ERR" "unknown time zone 'Mars/Base'"
run 2 lb --config keepnone.toml backup --db tiny.db --to ./refused
contains "$ERR" "keeps nothing"
[[ -z $(find refused -type f 2>/dev/null) ]] || fail "a refused policy let a backup be stored: $(find refused -type f)"
run 0 lb --config keepnone.toml backup --db tiny.db --to ./refused --no-prune
pass "an unknown time zone or a keep-nothing policy stops a backup before it stores anything (exit 2)"

mkdir aged_seed
for n in 5 6 7 8 9; do cp tiny.db "aged_seed/aged-$(date -u -d "$n days ago" +%Y%m%d)-030000.db"; done
run 0 lb import aged_seed/*.db --to ./aged
newest_aged=aged-$(date -u -d '5 days ago' +%Y%m%d)-030000
run 0 lb prune --keep-within 1h --json --to ./aged
[[ $(json_field "$OUT" '[b["id"] for b in d["databases"][0]["backups"] if b["action"] == "keep"]') == "['$newest_aged']" ]] \
  || fail "--keep-within 1h with a 5-day-old newest backup: $OUT"
reasons=$(json_field "$OUT" '", ".join(d["databases"][0]["backups"][0]["reasons"])')
[[ $(ids_in aged aged) == "$newest_aged" ]] || fail "after --keep-within 1h: $(ids_in aged aged)"
run 0 lb verify --all --to ./aged
pass "--keep-within 1h when the newest is 5 days old keeps exactly the newest (reason: $reasons)"

# ---------------------------------------------------------------------------------------
# 5. kill -9 in the middle of a prune of 200 backups: no listed backup lacks its data; a
#    later prune removes the leftovers once they are old.
n_all=$(ls pristine/droplink/*.manifest.json | wc -l)
keep_n=$(( n_all - 200 ))
rm -rf k && cp -a pristine k
start=$(date +%s.%N)
run 0 lb prune --keep-last $keep_n --to ./k
full=$(python3 -c "print($(date +%s.%N) - $start)")
midway=0; tries=0
for try in $(seq 1 12); do
  rm -rf k && cp -a pristine k
  delay=$(python3 -c "import random; print(round(random.uniform(0.03, 0.9 * $full), 3))")
  "$LIFEBOAT" prune --keep-last $keep_n --to ./k >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  tries=$try
  left=$(ids_in k droplink | wc -l)
  if (( left > keep_n && left < n_all )); then midway=$((midway + 1)); fi
  msg=$(complete k) || fail "after kill -9 at ${delay}s a listed backup lacks its data: $msg"
  run 0 lb verify --all --to ./k --json
  [[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "verify --all after kill -9 at ${delay}s: $OUT"
  n_orphans=$(orphans k | wc -l)
  echo "   kill -9 after ${delay}s: $((n_all - left)) of 200 removed, $n_orphans leftover objects"
  # The leftovers are removed by a later prune once they are old, and only then.
  run 0 lb prune --keep-last $keep_n --to ./k
  [[ $(orphans k | wc -l) == "$n_orphans" ]] || fail "young leftovers were removed"
  find k -type f -exec touch -d '2 days ago' {} +
  n_reserved=$(find k -name '*.reserved' | wc -l) # the removed ids' day is over too
  run 0 lb prune --keep-last $keep_n --to ./k --json
  [[ -z $(orphans k) ]] || fail "leftovers remain after the second prune: $(orphans k | head)"
  [[ -z $(find k -name '*.reserved') ]] || fail "day-old reservations remain: $(find k -name '*.reserved' | head -3)"
  [[ $(json_field "$OUT" 'len(d["leftovers"])') == "$((n_orphans + n_reserved))" ]] || fail "leftovers reported: $OUT"
  [[ $(ids_in k droplink | wc -l) == "$keep_n" ]] || fail "after the second prune: $(ids_in k droplink | wc -l) backups"
  msg=$(complete k) || fail "after the second prune: $msg"
  run 0 lb verify --all --to ./k
  (( midway >= 2 && try >= 4 )) && break
done
(( midway >= 1 )) || fail "prune was never killed half way in $tries tries (a full prune takes ${full}s)"
pass "kill -9 half way through a prune ($midway of $tries runs, full run ${full}s): every listed backup verifies; old leftovers are removed later"

# ---------------------------------------------------------------------------------------
# 6. Leftovers younger than a day are never removed; older ones are, and are reported.
leftover=droplink/droplink-20200101-000000.db.zst
head -c 1234 /dev/urandom > "backups/$leftover"
run 0 lb prune --json --to ./backups
[[ -f backups/$leftover ]] || fail "a young leftover was removed"
[[ $(json_field "$OUT" 'len(d["leftovers"])') == 0 ]] || fail "a young leftover was reported: $OUT"
touch -d '2 days ago' "backups/$leftover"
run 0 lb prune --dry-run --json --to ./backups
[[ -f backups/$leftover ]] || fail "a dry run removed a leftover"
[[ $(json_field "$OUT" '[l["key"] for l in d["leftovers"]]') == "['$leftover']" ]] || fail "dry run leftovers: $OUT"
run 0 lb prune --json --to ./backups
[[ ! -e backups/$leftover ]] || fail "an old leftover was not removed"
[[ $(json_field "$OUT" '[(l["key"], l["size"]) for l in d["leftovers"]]') == "[('$leftover', 1234)]" ]] || fail "leftovers: $OUT"
[[ $(json_field "$OUT" 'd["bytes_freed"]') == 1234 ]] || fail "bytes_freed of the leftover: $OUT"
contains "$ERR" "removed '$leftover'"
pass "a leftover younger than a day stays; two days old it is removed and reported"

# ---------------------------------------------------------------------------------------
# 7. Prunes next to backups never lose the new backup.
sqlite3 big.db >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 160000)
INSERT INTO t SELECT i, randomblob(1000) FROM n;
SQL
alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
prune_loop() { # prune_loop TAG PID...: prune --keep-last 1 until the backups have ended
  local n=0
  while (( n < 2 )) || alive "${@:2}"; do
    "$LIFEBOAT" prune --keep-last 1 --to ./cb >/dev/null 2>"ploop.$1.err" || { echo "prune exit $? $(cat "ploop.$1.err")" >> ploop.fail; }
    n=$((n + 1))
  done
  echo "$n" > "ploop.$1.n"
}
for round in 1 2 3; do
  start=$(date +%s.%N)
  "$LIFEBOAT" backup --db big.db --to ./cb --json >bk.json 2>bk.err &
  bpid=$!
  prune_loop a $bpid & l1=$!
  prune_loop b $bpid & l2=$!
  wait $bpid; brc=$?
  wait $l1 $l2
  took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
  [[ $brc == 0 ]] || fail "round $round: backup exited $brc: $(cat bk.err)"
  [[ ! -e ploop.fail ]] || fail "round $round: a prune failed: $(cat ploop.fail)"
  id=$(json_field "$(cat bk.json)" 'd["id"]')
  run 0 lb list --to ./cb --json
  contains "$OUT" "\"$id\"" "list after round $round"
  run 0 lb verify --backup-id "$id" --deep --to ./cb
  msg=$(complete cb) || fail "round $round: $msg"
  echo "   round $round: backup $id in ${took}s next to $(cat ploop.a.n) + $(cat ploop.b.n) prunes"
done
pass "three backups each next to two loops of 'prune --keep-last 1': the new backup is listed and verifies deep"

# Two backups of the same database at once, with a prune loop next to them. Started in
# the same second they race for one id; the id is reserved (NAME/ID.reserved, created
# only if absent), so both must succeed with consecutive ids. Started a second apart
# (the first still running) both must succeed too.
pair() { # pair GAP COMPRESS: two backups GAP seconds apart plus a prune loop; sets ok_ids, collided
  sleep "$(python3 -c 'import time; print(1.2 - time.time() % 1)')" # 0.2s into a second
  start=$(date +%s.%N)
  "$LIFEBOAT" backup --db big.db --to ./cb --compress "$2" --json >bk1.json 2>bk1.err & b1=$!
  sleep "$1"
  overlap=no; kill -0 $b1 2>/dev/null && overlap=yes
  "$LIFEBOAT" backup --db big.db --to ./cb --compress "$2" --json >bk2.json 2>bk2.err & b2=$!
  prune_loop c $b1 $b2 & l1=$!
  wait $b1; rc1=$?
  wait $b2; rc2=$?
  wait $l1
  took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
  [[ ! -e ploop.fail ]] || fail "a prune failed next to two backups: $(cat ploop.fail)"
  ok_ids=(); collided=0
  for i in 1 2; do
    local rc; rc=$([[ $i == 1 ]] && echo $rc1 || echo $rc2)
    if [[ $rc == 0 ]]; then
      ok_ids+=("$(json_field "$(cat bk$i.json)" 'd["id"]')")
    elif [[ $rc == 1 ]] && grep -q "already exists" "bk$i.err"; then
      collided=$((collided + 1))
    else
      fail "backup $i of two concurrent ones exited $rc: $(cat bk$i.err)"
    fi
  done
  (( ${#ok_ids[@]} >= 1 )) || fail "neither of two concurrent backups succeeded"
  [[ ${#ok_ids[@]} != 2 || ${ok_ids[0]} != "${ok_ids[1]}" ]] || fail "two concurrent backups got the same id ${ok_ids[0]}"
  newest=$(printf '%s\n' "${ok_ids[@]}" | sort | tail -1)
  run 0 lb list --to ./cb --json
  contains "$OUT" "\"$newest\"" "list after two concurrent backups"
  run 0 lb verify --all --deep --to ./cb --json
  [[ $(json_field "$OUT" 'd["failed"]') == 0 ]] || fail "verify --all --deep: $OUT"
  msg=$(complete cb) || fail "$msg"
}
pair 0 zstd:3
(( collided == 0 && ${#ok_ids[@]} == 2 )) || fail "two backups started in the same second: ${#ok_ids[@]} succeeded: $(cat bk1.err bk2.err)"
pass "two backups in the same second plus a prune loop (${took}s): both succeeded with ids ${ok_ids[*]}; the newest is listed; all verify deep"
# zstd:9 makes the first backup run longer than the second's head start.
pair 1.0 zstd:9
[[ $overlap == yes ]] || fail "the first backup ended before the second started; nothing ran concurrently"
(( collided == 0 )) || fail "backups started a second apart collided: $(cat bk1.err bk2.err)"
[[ ${#ok_ids[@]} == 2 ]] || fail "two backups a second apart: ${ok_ids[*]}"
pass "two overlapping backups a second apart plus a prune loop (${took}s): both succeed, the newest is listed, all verify deep"
find cb -type f -exec touch -d '2 days ago' {} +
run 0 lb prune --keep-last 1 --to ./cb
[[ -z $(orphans cb) ]] || fail "objects without a manifest remain: $(orphans cb)"
[[ $(ids_in cb big) == "$newest" ]] || fail "after the last prune: $(ids_in cb big)"
pass "after all that, one prune leaves exactly the newest backup and no leftovers"

# ---------------------------------------------------------------------------------------
# 8. backup prunes its database afterwards, unless --no-prune; --json has "prune".
make_db app.db 200
past=$(date -u -d '3 days ago' +%Y%m%d)
mkdir app_seed
for h in 010000 020000 030000; do cp tiny.db "app_seed/app-$past-$h.db"; done
run 0 lb import app_seed/*.db --to ./ab
run 0 lb list --to ./ab --json; echo "$OUT" > ab.json
run 0 lb backup --db app.db --to ./ab
id=$(sed -nE 's/^backup (app-[0-9]{8}-[0-9]{6}) stored.*/\1/p' <<<"$OUT")
expect=$(model expect "$DEFAULT" ab.json app "$id")
n_rm=$(grep -c '^remove ' <<<"$expect")
[[ $n_rm -ge 1 ]] || fail "the model removes nothing here: $expect"
contains "$OUT" "removed $n_rm of 4 backups of 'app'"
[[ $(ids_in ab app) == "$(sed -n 's/^keep //p' <<<"$expect" | sort)" ]] || fail "after backup: $(ids_in ab app) (model: $expect)"
pass "backup prunes afterwards per policy: $(tr '\n' ' ' <<<"$expect")"

before_ids=$(ids_in ab app)
run 0 lb backup --db app.db --to ./ab --no-prune
not_contains "$OUT" "removed"
[[ $(ids_in ab app | wc -l) == $(( $(wc -l <<<"$before_ids") + 1 )) ]] || fail "--no-prune: $(ids_in ab app)"
[[ -z $(comm -23 <(echo "$before_ids") <(ids_in ab app)) ]] || fail "--no-prune removed a backup"
run 0 lb backup --db app.db --to ./ab --no-prune --json
[[ $(json_field "$OUT" '"prune" in d') == False ]] || fail "--no-prune --json has a prune object"
pass "--no-prune removes nothing and reports no prune"

run 0 lb list --to ./ab --json; echo "$OUT" > ab.json
sleep 1
# Without keep_within the same day's earlier backups go, so something is freed.
printf '[retention]\nkeep_within = "0d"\n' > nowithin.toml
run 0 lb --config nowithin.toml backup --db app.db --to ./ab --json
id=$(json_field "$OUT" 'd["id"]')
expect=$(model expect '{"daily": 30, "weekly": 12, "monthly": 12}' ab.json app "$id")
[[ $(json_field "$OUT" '"\n".join(sorted(d["prune"]["removed"]))') == "$(sed -n 's/^remove //p' <<<"$expect" | sort)" ]] \
  || fail "backup --json prune.removed differs from the model: $OUT / $expect"
[[ $(json_field "$OUT" 'd["prune"]["leftovers_removed"]') == 0 ]] || fail "leftovers_removed: $OUT"
[[ $(json_field "$OUT" 'd["prune"]["bytes_freed"] > 0') == True ]] || fail "bytes_freed: $OUT"
[[ $(ids_in ab app) == "$(sed -n 's/^keep //p' <<<"$expect" | sort)" ]] || fail "after backup --json: $(ids_in ab app)"
run 0 lb verify --all --deep --to ./ab
pass "backup --json has a prune object whose removed list is the model's"

echo "retention test took ${SECONDS}s"
(( SECONDS < 180 )) || fail "the test took ${SECONDS}s (budget 180s)"
