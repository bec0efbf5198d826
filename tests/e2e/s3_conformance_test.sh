#!/usr/bin/env bash
# The storage conformance suite (tests/conformance/storage) against a real S3-compatible
# server on loopback (s3rver, tests/e2e/s3.sh), which checks every request's signature.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/s3.sh"
start_s3
bin=$(dirname "$LIFEBOAT")/../../tests/conformance/storage/s3_conformance_test
[[ -x $bin ]] || fail "the S3 conformance executable is not built: $bin"
LIFEBOAT_TEST_S3_URL="$(s3_url "")" "$bin" --gtest_brief=1 || fail "S3 conformance failed"
pass "the storage conformance suite passes against s3rver"
