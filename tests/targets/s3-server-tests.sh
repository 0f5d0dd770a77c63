#!/usr/bin/env bash
# s3-server-tests.sh UNIT_TESTS [CATCH2 ARGS...]: the `s3_server` CTest
# entry. Starts the test S3 server (tests/servers/s3.sh) twice on free
# loopback ports, over HTTP and over HTTPS with a test CA, in work
# directories of their own, runs UNIT_TESTS "[s3server]" with the HTTP one's
# s3.env exported (and S3_TLS_ENDPOINT, S3_CA, S3_WRONG_CA of the other),
# plus tests/servers/fault_proxy.py in front of the HTTP one
# (S3_FAULT_ENDPOINT, S3_FAULT_MODE: the proxy's mode file), and stops them. KDK_S3_SPEC overrides the test spec.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools radosgw ceph-mon ceph-osd curl python3
[ $# -ge 1 ] || {
  echo "usage: $0 UNIT_TESTS [CATCH2 ARGS...]" >&2
  exit 2
}
unit=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
servers=$here/../servers
work=$(mktemp -d "${TMPDIR:-/tmp}/kdk-s3.XXXX")
proxy_pid=
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  "$servers/s3.sh" stop "$work/plain" || true
  "$servers/s3.sh" stop "$work/tls" || true
  if [ "${KDK_KEEP_WORK:-}" = 1 ]; then echo "s3-server-tests: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
"$servers/s3.sh" start "$work/tls" "$(free_port)" tls >/dev/null
"$servers/s3.sh" start "$work/plain" "$(free_port)" >/dev/null
set -a
# shellcheck disable=SC1091
. "$work/tls/s3.env"
S3_TLS_ENDPOINT=$S3_ENDPOINT
# shellcheck disable=SC1091
. "$work/plain/s3.env"
S3_FAULT_MODE=$work/fault.mode
S3_FAULT_ENDPOINT=http://127.0.0.1:$(free_port)
set +a
echo pass >"$S3_FAULT_MODE"
python3 "$servers/fault_proxy.py" "${S3_FAULT_ENDPOINT##*:}" "$S3_PORT" "$S3_FAULT_MODE" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
echo "s3-server-tests: $S3_SERVER ${S3_SERVER_VERSION:-} at $S3_ENDPOINT (log $S3_WORK/s3.log)"
"$unit" "${KDK_S3_SPEC:-[s3server]}" "$@"
