#!/usr/bin/env bash
# scripts/fuzz.sh SECONDS: builds tests/fuzz with clang-16's libFuzzer (build-fuzz/) and
# runs every target for SECONDS (two at a time), seeded with the checked-in corpus and,
# when ../shared/testdata is there, age's testkit and the sample dumps. A crash, a leak,
# a hang (over 10 s) or an allocation over 64 MiB fails the run; the input that caused it
# is left in build-fuzz/crashes/TARGET/, to be copied into tests/fuzz/crashes/TARGET/
# with its fix (docs/CODING.md). Prints executions per second and in all for each target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
targets=(manifest config age_header armor age_decrypt identity names pg_script sqlite_inspect s3_xml cloudinary_json)

if [[ ! -f $build/build.ninja ]]; then
  CC=clang-16 CXX=clang++-16 cmake -S . -B "$build" -G Ninja -DLIFEBOAT_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

shared=${LIFEBOAT_SHARED_DIR:-../shared}/testdata
seeds=$build/fuzz-seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{age,pg_script}
if [[ -d $shared/age-testkit/testdata ]]; then
  # A testkit file is "key: value" lines, a blank line, then the age file; the targets
  # take a chunking byte first.
  for f in "$shared"/age-testkit/testdata/*; do
    { printf '\x07'; sed '1,/^$/d' "$f"; } >"$seeds/age/$(basename "$f")"
  done
fi
for f in "$shared"/pagila/pagila-schema.sql "$shared"/chinook/Chinook_PostgreSql.sql; do
  if [[ -f $f ]]; then
    { printf '\x0b'; head -c 60000 "$f"; } >"$seeds/pg_script/$(basename "$f")"
  fi
done

run_one() {
  local t=$1 dict=tests/fuzz/dict/$1.dict extra=()
  case $t in age_header | armor | age_decrypt) dict=tests/fuzz/dict/age.dict; extra=("$seeds/age") ;; esac
  if [[ $t == pg_script ]]; then extra=("$seeds/pg_script"); fi
  local work=$build/fuzz-corpus/$t out=$build/fuzz-logs/$t.log
  mkdir -p "$work" "$build/crashes/$t" "$build/fuzz-logs"
  # pg_script runs its input through five streaming passes: shorter inputs, more of them.
  local max_len=65536
  if [[ $t == pg_script ]]; then max_len=16384; fi
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64
              -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$build/crashes/$t/")
  if [[ -f $dict ]]; then args+=(-dict="$dict"); fi
  if "$build/tests/fuzz/fuzz_$t" "${args[@]}" "$work" tests/fuzz/corpus/"$t" "${extra[@]}" \
      >"$out" 2>&1; then
    echo "ok"
  else
    echo "FAILED"
  fi >"$out.verdict"
}
export -f run_one
export build seconds seeds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

failed=0
printf '%-12s %10s %12s %s\n' target exec/s executions verdict
for t in "${targets[@]}"; do
  log=$build/fuzz-logs/$t.log
  execs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o "stat::average_exec_per_sec: *[0-9]*" "$log" | grep -o '[0-9]*$' || echo 0)
  verdict=$(cat "$log.verdict")
  printf '%-12s %10s %12s %s\n' "$t" "$rate" "$execs" "$verdict"
  if [[ $verdict != ok ]]; then
    failed=1
    grep -E 'ERROR|SUMMARY|property broken|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
done
exit $failed
