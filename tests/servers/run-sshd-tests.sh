#!/bin/bash
# Runs the [sshserver] test cases of unit_tests against OpenSSH's sshd and a
# fault proxy on loopback (tests/servers/sshd.sh), stopping them afterwards.
#   run-sshd-tests.sh UNIT_TESTS [CATCH_SPEC]   (default: every [sshserver] case)
# [sshserver_bench] measures the throughput of both SSH targets (512 MiB
# each; KDK_SSH_BENCH_BUFFER_KIB sets the size of their writes, default 1024).
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools /usr/sbin/sshd ssh-keygen python3 setpriv
here=$(cd "$(dirname "$0")" && pwd)
unit_tests=${1:?usage: run-sshd-tests.sh UNIT_TESTS [SPEC]}
spec=${2:-[sshserver]}
work=$(mktemp -d /tmp/kdk-sshd.XXXXXX)
trap '"$here/sshd.sh" stop "$work"; rm -rf "$work"' EXIT
"$here/sshd.sh" start "$work" >/dev/null
set -a
. "$work/env"
set +a
"$unit_tests" "$spec"
