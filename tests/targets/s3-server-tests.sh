#!/usr/bin/env bash
# s3-server-tests.sh UNIT_TESTS [CATCH2 ARGS...]: the `s3_server` CTest
# entry. Starts the test S3 server (tests/servers/s3.sh) on a free loopback
# port in a work directory of its own, runs UNIT_TESTS "[s3server]" with its
# s3.env exported, and stops it. KDK_S3_SPEC overrides the test spec.
set -euo pipefail
[ $# -ge 1 ] || {
  echo "usage: $0 UNIT_TESTS [CATCH2 ARGS...]" >&2
  exit 2
}
unit=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
servers=$here/../servers
work=$(mktemp -d "${TMPDIR:-/tmp}/kdk-s3.XXXX")
cleanup() {
  "$servers/s3.sh" stop "$work" || true
  if [ "${KDK_KEEP_WORK:-}" = 1 ]; then echo "s3-server-tests: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$servers/s3.sh" start "$work" "$port" >/dev/null
set -a
# shellcheck disable=SC1091
. "$work/s3.env"
set +a
echo "s3-server-tests: s3rver at $S3_ENDPOINT, data in $S3_DATA"
"$unit" "${KDK_S3_SPEC:-[s3server]}" "$@"
