#!/usr/bin/env bash
# The catalog keeps what it says it stored (issue 10): ids of one second never collide
# or lie and the backup just stored is never pruned by its own command; the recent past
# and pinned backups are kept; a safety backup belongs to the database it copies; derived
# names never put two sources under one name; every configured database is backed up.
source "$(dirname "$0")/lib.sh"

ids_of() { # ids_of STORAGE NAME: ids in the catalog's order
  lb list --to "$1" --name "$2" --json | python3 -c 'import json,sys; print("\n".join(b["id"] for b in json.load(sys.stdin)))'
}
counts() { sqlite3 "$1" "select (select count(*) from customers) || '/' || (select count(*) from orders)"; }

# ---- 1. five back-to-back backups ---------------------------------------------
make_db app.db 50
ids=()
for i in 1 2 3 4 5; do
  sqlite3 app.db "INSERT INTO orders (customer_id, note) VALUES (1, 'round $i')"
  # keep_last 1: the harshest policy; the backup just stored must survive it anyway.
  printf '[retention]\nkeep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\nkeep_within = "0d"\n' > last1.toml
  run 0 lb --config last1.toml backup --db app.db --to ./five --json
  id=$(json_field "$OUT" 'd["id"]')
  removed=$(json_field "$OUT" 'd["prune"]["removed"]')
  [[ $removed != *"'$id'"* ]] || fail "backup $i: its own prune removed it: $OUT"
  run 0 lb list --to ./five --json
  contains "$OUT" "\"$id\"" "list right after backup $i"
  # The id names the real start second (from the manifest), with -N for the Nth of it.
  started=$(json_field "$(cat five/app/$id.manifest.json)" 'd["started_at"]')
  second=$(python3 -c "s='$started'; print(s[0:4]+s[5:7]+s[8:10]+'-'+s[11:13]+s[14:16]+s[17:19])")
  [[ $id == "app-$second" || $id == app-$second-[0-9]* ]] || fail "id $id does not name its start second $started"
  ids+=("$id")
done
# Five distinct ids, although each prune freed the one before.
[[ $(printf '%s\n' "${ids[@]}" | sort -u | wc -l) == 5 ]] || fail "ids are not distinct: ${ids[*]}"
# Each id sorts after the one before in the catalog's order (only the last is kept, so
# compare by taking them all again without pruning).
for i in 1 2 3 4 5; do run 0 lb backup --db app.db --to ./five-all --no-prune --json; done
run 0 lb list --to ./five-all --json
python3 - "$OUT" <<'PY' || fail "five backups without prune are not in time order: $OUT"
import json, sys
b = json.loads(sys.argv[1])
assert len(b) == 5, len(b)
assert len({x["id"] for x in b}) == 5
starts = [x["started_at"] for x in b]
assert starts == sorted(starts), starts
PY
last=$(json_field "$OUT" 'd[-1]["id"]')
rm -f five.db
run 0 lb restore --latest --target five.db --to ./five-all --yes --json
[[ $(json_field "$OUT" 'd["id"]') == "$last" ]] || fail "--latest restored $(json_field "$OUT" 'd["id"]'), not the fifth $last"
pass "five back-to-back backups: distinct ids of their real seconds, in order, each listed, never pruned by itself; --latest is the fifth"

# ---- 2. the recent past and pins ------------------------------------------------
make_db hist.db 20
i=0
for ago in '9 hours ago' '40 minutes ago' '20 minutes ago'; do
  i=$((i + 1)); cp hist.db "h$i.db"
  run 0 lb import "h$i.db" --name hist --time "$(date -u -d "$ago" +%Y-%m-%dT%H:%M:%SZ)" --to ./recent
done
run 0 lb backup --db hist.db --to ./recent --json
[[ $(json_field "$OUT" 'd["prune"]["removed"]') == "[]" ]] || fail "the default policy removed recent backups: $OUT"
[[ $(ids_of recent hist | wc -l) == 4 ]] || fail "not all four recent backups kept: $(ids_of recent hist)"
run 0 lb prune --dry-run --to ./recent --json
[[ $(json_field "$OUT" 'sum(1 for b in d["databases"][0]["backups"] if "within 2d" in b["reasons"])') == 4 ]] \
  || fail "the dry run does not say 'within 2d' for all four: $OUT"
oldest=$(ids_of recent hist | head -1)
run 0 lb pin "$oldest" --to ./recent
run 0 lb list --to ./recent --json
[[ $(json_field "$OUT" '[b["id"] for b in d if b["pinned"]]') == "['$oldest']" ]] || fail "list does not show the pin: $OUT"
run 0 lb list --to ./recent
contains "$OUT" "pinned"
run 0 lb backup --db hist.db --to ./recent --pin --no-prune --json
pinned_new=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["pinned"]') == True ]] || fail "backup --pin: $OUT"
run 0 lb backup --db hist.db --to ./recent --no-prune
run 0 lb prune --keep-last 1 --to ./recent --json
left=$(ids_of recent hist)
[[ $left == *"$oldest"* && $left == *"$pinned_new"* ]] || fail "a pinned backup was pruned: $left"
[[ $(wc -l <<<"$left") == 3 ]] || fail "prune --keep-last 1 with two pins should leave 3: $left"
[[ $(json_field "$OUT" '[b["reasons"] for b in d["databases"][0]["backups"] if b["id"] == "'"$oldest"'"][0]') == *pinned* ]] \
  || fail "the reason 'pinned' is not reported: $OUT"
run 0 lb unpin "$oldest" --to ./recent
run 0 lb prune --keep-last 1 --to ./recent
[[ $(ids_of recent hist) != *"$oldest"* ]] || fail "an unpinned backup was kept by its old pin"
run 1 lb pin hist-20010101-000000 --to ./recent
contains "$ERR" "backup 'hist-20010101-000000' does not exist"
pass "backups 9 h, 40 min, 20 min ago and now all kept by default; pins survive --keep-last 1 until unpinned"

# ---- 3. a staging refresh -----------------------------------------------------
make_db prod.db 300
make_db staging.db 7
for i in 1 2 3; do run 0 lb backup --db prod.db --to ./refresh --no-prune; done
prod_ids=$(ids_of refresh prod)
staging_before=$(counts staging.db)
run 0 lb restore --latest --name prod --target staging.db --to ./refresh --yes --json
safety=$(json_field "$OUT" 'd["safety_backup"]')
[[ $safety == staging-* ]] || fail "the safety backup of staging is filed as '$safety'"
[[ $(json_field "$(cat refresh/staging/$safety.manifest.json)" 'd["reason"]') == safety ]] || fail "no reason safety"
[[ $(counts staging.db) == "$(counts prod.db)" ]] || fail "staging was not refreshed"
run 0 lb prune --to ./refresh
[[ $(ids_of refresh prod) == "$prod_ids" ]] || fail "prune after a staging refresh changed prod's history: $(ids_of refresh prod)"
run 0 lb restore --backup-id "$safety" --target staging.db --to ./refresh --yes --json
[[ $(counts staging.db) == "$staging_before" ]] || fail "the safety backup did not restore staging"
# Staging's safety backups do not make --latest ambiguous: it is prod's latest.
rm -f x.db
run 0 lb restore --latest --target x.db --to ./refresh --yes --json
[[ $(json_field "$OUT" 'd["id"]') == "$(ids_of refresh prod | tail -1)" ]] || fail "--latest next to safety backups: $OUT"
pass "a staging refresh files the safety backup under staging, leaves prod's history intact, and undoes"

# ---- 4. names never collide ---------------------------------------------------
mkdir -p u a b
make_db u/日本.db 11; make_db u/中国.db 12; make_db "u/my db.db" 13; make_db u/my_db.db 14
names=()
for f in u/日本.db u/中国.db "u/my db.db" u/my_db.db; do
  run 0 lb backup --db "$f" --to ./names --json
  names+=("$(json_field "$OUT" 'd["name"]')")
done
[[ $(printf '%s\n' "${names[@]}" | sort -u | wc -l) == 4 ]] || fail "two sources share a name: ${names[*]}"
[[ ${names[3]} == my_db ]] || fail "my_db.db should keep its name: ${names[3]}"
# Each name's backups restore to their own row counts.
i=11
for n in "${names[@]}"; do
  rm -f r.db
  run 0 lb restore --latest --name "$n" --target r.db --to ./names --yes
  [[ $(counts r.db) == "100/$i" ]] || fail "$n restores $(counts r.db), expected 100/$i"
  i=$((i + 1))
done
# --latest of a storage with several databases asks which.
run 2 lb restore --latest --target x.db --to ./names --yes
contains "$ERR" "ambiguous"; contains "$ERR" "--name"
# The same file name in another directory is another database: refused, exit 2.
make_db a/app.db 5; make_db b/app.db 6
run 0 lb backup --db a/app.db --to ./same
run 2 lb backup --db b/app.db --to ./same
contains "$ERR" "backups named 'app' in './same' are of '$T/a/app.db', not of '$T/b/app.db'"
contains "$ERR" "--name"
[[ $(ids_of same app | wc -l) == 1 ]] || fail "the refused backup stored something"
run 0 lb backup --db b/app.db --to ./same --name app-b
# The same file through another path (a symlink, ./) is the same source.
ln -s a linked
run 0 lb backup --db linked/app.db --to ./same --no-prune
run 0 lb backup --db ./a/../a/app.db --to ./same --no-prune
pass "日本/中国, 'my db'/my_db and two app.db files never share a name (${names[*]})"

# ---- 5. every configured database ---------------------------------------------
make_db one.db 21; make_db three.db 23
cat > three.toml <<EOF
[storage]
url = "$T/multi"
[[database]]
name = "one"
url = "$T/one.db"
[[database]]
name = "two"
url = "$T/missing/two.db"
[[database]]
name = "three"
url = "sqlite:$T/three.db"
EOF
run 1 lb --config three.toml backup --json
contains "$ERR" "backup 'two'"
contains "$ERR" "1 of 3 databases could not be backed up"
[[ $(json_field "$OUT" 'd["failed"]') == 1 ]] || fail "json failed count: $OUT"
[[ $(json_field "$OUT" '[b.get("name") for b in d["backups"]]') == "['one', 'two', 'three']" ]] || fail "json: $OUT"
[[ $(json_field "$OUT" 'd["backups"][1]["error"]["kind"]') == usage ]] || fail "json error: $OUT"
[[ $(ids_of multi one | wc -l) == 1 && $(ids_of multi three | wc -l) == 1 ]] || fail "the other two were not stored"
run 0 lb --config three.toml list --json
[[ $(json_field "$OUT" 'sorted(b["name"] for b in d)') == "['one', 'three']" ]] || fail "list: $OUT"
# --name selects one configured database, and files it under its own name.
run 0 lb --config three.toml backup --name three --json
[[ $(json_field "$OUT" 'd["name"]') == three ]] || fail "--name three: $OUT"
run 2 lb --config three.toml backup --name four
contains "$ERR" "no configured database is named 'four' (configured: one, two, three)"
pass "three configured databases, one missing: the other two are stored, exit 1, each reported"
