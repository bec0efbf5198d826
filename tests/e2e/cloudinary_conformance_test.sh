#!/usr/bin/env bash
# The storage conformance suite (tests/conformance/storage) against the fake Cloudinary
# (tests/e2e/cloudinary.sh), which checks signatures, timestamps, Basic auth and chunks.
# Chunks of 1 MiB (the fake's least chunk lowered to 1 MiB) and pages of 7 resources make
# the suite's 3 MiB objects chunked uploads and its listings paged. Two extra tests read
# /usage (storage limit 1 GB, largest raw file 100 MiB) and rename.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/cloudinary.sh"
export FAKE_CLD_MIN_CHUNK=$((1024 * 1024)) FAKE_CLD_RAW_MAX_SIZE=$((100 * 1024 * 1024))
export FAKE_CLD_STORAGE_LIMIT=1000000000
start_cld
bin=$(dirname "$LIFEBOAT")/../../tests/conformance/storage/cloudinary_conformance_test
[[ -x $bin ]] || fail "the Cloudinary conformance executable is not built: $bin"
LIFEBOAT_TEST_CLOUDINARY_URL="$(cld_url "" "chunk_size=1048576&min_chunk_size=1048576&max_results=7")" \
  "$bin" --gtest_brief=1 || fail "Cloudinary conformance failed"
chunks=$(cld_count 'r["api"] == "chunk" and r["status"] == 200')
[[ $chunks -ge 4 ]] || fail "no chunked upload was exercised ($chunks chunks)"
pages=$(cld_count '"next_cursor" in r["query"]')
[[ $pages -ge 1 ]] || fail "no listing was paged"
pass "the storage conformance suite passes against the fake Cloudinary ($chunks chunks, $pages paged listings)"
