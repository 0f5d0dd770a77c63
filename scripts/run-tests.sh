#!/usr/bin/env bash
# run-tests.sh BUILD_DIR [CTEST ARGS...]: every CTest entry of the host build,
# then one line of counts (passed, skipped, failed) and the names of the
# tests that did not pass. Exit status: ctest's.
set -euo pipefail
build=$(cd "$1" && pwd)
shift
junit=$build/ctest-junit.xml
rm -f "$junit"
start=$SECONDS
rc=0
ctest --test-dir "$build" --output-on-failure --output-junit "$junit" "$@" || rc=$?
"$(dirname "$0")/test-summary.py" "$junit" "$((SECONDS - start))" || rc=1
exit $rc
