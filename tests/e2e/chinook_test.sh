#!/usr/bin/env bash
# Round trip of the Chinook sample database (../shared/testdata/chinook).
source "$(dirname "$0")/lib.sh"

src="$LIFEBOAT_SHARED_DIR/testdata/chinook/Chinook_Sqlite.sqlite"
[[ -f $src ]] || skip "Chinook database not found at $src"
cp "$src" chinook.db
run 0 lb backup --db chinook.db --to ./backups --json
id=$(json_field "$OUT" 'd["id"]')
[[ $(json_field "$OUT" 'd["tables"]') == 11 ]] || fail "expected 11 tables"
run 0 lb list --to ./backups --json
expected="Album=347 Artist=275 Customer=59 Employee=8 Genre=25 Invoice=412 InvoiceLine=2240 MediaType=5 Playlist=18 PlaylistTrack=8715 Track=3503"
got=$(python3 -c "
import json; m = json.load(open('backups/chinook/$id.manifest.json'))
print(' '.join(f\"{t['name']}={t['rows']}\" for t in sorted(m['tables'], key=lambda t: t['name'])))")
[[ $got == "$expected" ]] || fail "manifest counts: $got"
run 0 lb restore --backup-id "$id" --target restored.db --to ./backups
diff <(sqlite3 chinook.db .dump) <(sqlite3 restored.db .dump) >/dev/null || fail ".dump differs"
artists=$(sqlite3 restored.db "select Name from Artist")
[[ $artists == *"Antônio Carlos Jobim"* ]] || fail "unicode lost"
pass "Chinook round trip: 11 tables with the published counts, identical .dump"
