#!/bin/bash
# Runs the [nginx] test cases of unit_tests against nginx and the fault proxy
# on loopback (tests/servers/nginx.sh), stopping them afterwards.
#   run-nginx-tests.sh UNIT_TESTS [CATCH_SPEC]   (default: every [nginx] case but the benchmark)
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools nginx openssl python3
here=$(cd "$(dirname "$0")" && pwd)
unit_tests=${1:?usage: run-nginx-tests.sh UNIT_TESTS [SPEC]}
spec=${2:-[nginx]~[nginx_bench]}
work=$(mktemp -d /tmp/kdk-nginx.XXXXXX)
trap '"$here/nginx.sh" stop "$work"; rm -rf "$work"' EXIT
"$here/nginx.sh" start "$work" >/dev/null
set -a
. "$work/env"
set +a
"$unit_tests" "$spec"
