#!/usr/bin/env bash
# capture-network.sh KDUMPKIT: the capture's network fault handling on the
# host, with the busy fixture vmcore and the same real servers the QEMU tests
# use (nginx with WebDAV, the S3 server of tests/servers/s3.sh), each behind
# tests/servers/fault_proxy.py.
# Each case runs `kdumpkit capture` by hand (the network as it is) and checks
# what the servers hold and what metadata.json says:
#   http-500    the server answers 500 twice, then accepts: one complete dump,
#               the uploaded vmcore.flat equal to `kdumpkit dump --format flat`
#   http-cut    the connection is cut 4 MB into the dump: retried from the
#               start, and the dump on the server is complete and exact
#   down        the first server is down (nothing listens): the dump goes to
#               the next target, and metadata.json says why
#   bad-cert    the server's certificate does not verify against the
#               configured CA: refused without retrying, the dump goes to the
#               next target, and metadata.json says why
#   load        `kdumpkit load` refuses to arm a configuration whose
#               targets fail their checks — an untrusted certificate, a wrong
#               S3 secret, a server that is down — naming each line and why
#   s3-parts    every S3 part is cut midway: each part retried, the upload
#               aborted (ListMultipartUploads shows none open), no object
#               left, and the dump on the next target
# Exit 0 = all passed.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools nginx openssl radosgw ceph-mon ceph-osd curl python3 losetup mkfs.ext4
[ $# -eq 1 ] || { echo "usage: $0 KDUMPKIT" >&2; exit 2; }
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS=$HERE/../servers
VMCORE=$("$HERE/../../qemu/fixtures.sh" busy | tail -n1)
[ -f "$VMCORE" ] || { echo "FAIL: no busy fixture ($VMCORE)"; exit 1; }

WORK=$(mktemp -d /tmp/kdk-capture-network.XXXXXX)
PROXY_PID=
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
  "$SERVERS/nginx.sh" stop "$WORK/nginx" >/dev/null 2>&1 || true
  "$SERVERS/s3.sh" stop "$WORK/s3" >/dev/null 2>&1 || true
  [ "${KDUMPKIT_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$WORK/nginx" "$WORK/s3"
"$SERVERS/nginx.sh" start "$WORK/nginx" >"$WORK/nginx.env"
. "$WORK/nginx.env"
"$SERVERS/s3.sh" start "$WORK/s3" "$(free_port)" >/dev/null
. "$WORK/s3/s3.env"
S3_FAULT_PORT=$(free_port)
S3_FAULT_MODE=$WORK/s3-fault.mode
/usr/bin/python3 "$SERVERS/fault_proxy.py" "$S3_FAULT_PORT" "$S3_PORT" "$S3_FAULT_MODE" >"$WORK/s3-fault.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$S3_FAULT_PORT") 2>/dev/null && break; sleep 0.1; done

printf 'host = nethost\nkernel_release = 6.1.0\n' >"$WORK/record"
: >"$WORK/empty.cmdline"
# What every complete upload must equal: the same engine, same options.
"$BIN" dump -q -d 31 -c zstd --format flat "$VMCORE" "$WORK/expected.flat"

FAILS=0
fail() { echo "FAIL [$CASE]: $*"; FAILS=$((FAILS + 1)); }

capture() {
  printf '%s\n' "$@" "retries = 3" >"$WORK/$CASE.conf"
  local start rc=0
  start=$(date +%s.%N)
  "$BIN" capture --cmdline "$WORK/empty.cmdline" --vmcore "$VMCORE" --config "$WORK/$CASE.conf" \
    --load-record "$WORK/record" --no-modules --mount-dir "$WORK/mnt-$CASE" >"$WORK/$CASE.out" 2>&1 || rc=$?
  echo "  [$CASE] capture exit $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
  return 0
}

# check_dir DIR PYTHON-EXPR: a complete crash directory whose files match
# metadata.json, whose vmcore.flat equals the expected stream, and for which
# PYTHON-EXPR (on `m`, the metadata) holds.
check_dir() {
  local dir=$1 expr=$2 problems
  [ -n "$dir" ] && [ -d "$dir" ] || { fail "no crash directory on the server"; return; }
  problems=$(/usr/bin/python3 - "$dir" "$expr" <<'PY'
import hashlib, json, os, sys
d, expr = sys.argv[1:3]
bad = []
m = json.load(open(os.path.join(d, "metadata.json")))
if m.get("complete") is not True:
    bad.append("not complete: %s" % m.get("incomplete_reason"))
for f in m.get("files", []):
    data = open(os.path.join(d, f["name"]), "rb").read()
    if len(data) != f["size"] or hashlib.sha256(data).hexdigest() != f["sha256"]:
        bad.append(f["name"] + " differs from metadata.json")
if not eval(expr, {"m": m}):
    bad.append("metadata: not " + expr)
print("; ".join(bad))
PY
  )
  [ -z "$problems" ] || fail "$dir: $problems"
  cmp -s "$dir/vmcore.flat" "$WORK/expected.flat" || fail "vmcore.flat differs from kdumpkit dump --format flat"
}
crash_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d -name 'nethost-*' 2>/dev/null | sort | tail -n1; }

CASE=http-500
echo "500 2 PUT" >"$KDK_NGINX_FAULT_MODE"
capture "target = $KDK_NGINX_FAULT/dav/c500"
check_dir "$(crash_dir "$KDK_NGINX_ROOT/dav/c500")" 'm["targets"][0]["result"] == "complete"'
grep -q "^500 0" "$KDK_NGINX_FAULT_MODE" || fail "the proxy did not answer 500 twice ($(cat "$KDK_NGINX_FAULT_MODE"))"
grep -q "attempt 1 of 3 failed (500" "$WORK/$CASE.out" || fail "no retry after a 500 in the log"

CASE=http-cut
echo "cut 4000000 1 PUT" >"$KDK_NGINX_FAULT_MODE"
capture "target = $KDK_NGINX_FAULT/dav/ccut"
check_dir "$(crash_dir "$KDK_NGINX_ROOT/dav/ccut")" 'True'
grep -q "^cut 4000000 0" "$KDK_NGINX_FAULT_MODE" || fail "the proxy cut nothing ($(cat "$KDK_NGINX_FAULT_MODE"))"
echo pass >"$KDK_NGINX_FAULT_MODE"

CASE=down
capture "target = http://127.0.0.1:$(free_port)/dav/cdown" "target = $KDK_NGINX_HTTP/dav/cnext"
check_dir "$(crash_dir "$KDK_NGINX_ROOT/dav/cnext")" \
  'm["targets"][0]["result"] == "failed" and "Connection refused" in m["targets"][0]["detail"]'

CASE=bad-cert
capture "target = $KDK_NGINX_HTTPS/dav/cbad ca=$KDK_NGINX_WRONG_CA" "target = $KDK_NGINX_HTTP/dav/cgood"
check_dir "$(crash_dir "$KDK_NGINX_ROOT/dav/cgood")" \
  'm["targets"][0]["result"] == "failed" and "certificate" in m["targets"][0]["detail"]'
[ -z "$(crash_dir "$KDK_NGINX_ROOT/dav/cbad")" ] || fail "something was written through an unverified certificate"
[ "$(grep -c "certificate" "$WORK/$CASE.out")" -ge 1 ] || fail "the log does not say the certificate failed"
grep -q "attempt 1 of 3 failed.*certificate" "$WORK/$CASE.out" && fail "a certificate failure was retried"

CASE=s3-parts
echo "cut 1000000 100 PUT" >"$S3_FAULT_MODE"
capture "target = s3://$S3_BUCKET/parts endpoint=http://127.0.0.1:$S3_FAULT_PORT credentials_file=$S3_CREDENTIALS part_size=5" \
  "target = $KDK_NGINX_HTTP/dav/cs3"
check_dir "$(crash_dir "$KDK_NGINX_ROOT/dav/cs3")" \
  'm["targets"][0]["result"] == "log and metadata only" and "vmcore.flat not uploaded" in m["targets"][0]["detail"]'
grep -q "UploadPart" "$WORK/$CASE.out" || fail "no UploadPart failure in the log"
"$SERVERS/s3.sh" keys "$WORK/s3" parts/ >"$WORK/s3-keys" || fail "the bucket could not be listed"
grep -q '/vmcore\.flat' "$WORK/s3-keys" && fail "a vmcore.flat object is left in the bucket: $(cat "$WORK/s3-keys")"
"$SERVERS/s3.sh" open-uploads "$WORK/s3" >"$WORK/s3-open" || fail "the open uploads could not be listed"
if [ "$S3_SERVER" = s3rver ]; then
  # s3rver answers AbortMultipartUpload with 405 (it does not implement it):
  # the abort must have been sent, which its refusal proves.
  grep -q "could not be aborted either" "$WORK/$CASE.out" || grep -q "AbortMultipartUpload" "$WORK/$CASE.out" ||
    fail "no abort of the multipart upload in the log"
  echo "  [$CASE] uploads left open on s3rver (it cannot abort): $(wc -l <"$WORK/s3-open")"
else
  # The server implements AbortMultipartUpload and ListMultipartUploads: the
  # upload must have been aborted, and the listing shows none open.
  [ -s "$WORK/s3-open" ] && fail "multipart uploads left open (ListMultipartUploads): $(cat "$WORK/s3-open")"
  grep -q "could not be aborted" "$WORK/$CASE.out" && fail "the abort failed: $(grep "could not be aborted" "$WORK/$CASE.out")"
  echo "  [$CASE] open multipart uploads after the failure (ListMultipartUploads on $S3_SERVER): $(wc -l <"$WORK/s3-open")"
fi

CASE=load
sed 's/^\(secret_access_key *= *\).*/\1not-the-secret/' "$S3_CREDENTIALS" >"$WORK/s3-wrong" && chmod 0600 "$WORK/s3-wrong"
printf '%s\n' "target = $KDK_NGINX_HTTPS/dav/cload ca=$KDK_NGINX_WRONG_CA" \
  "target = s3://$S3_BUCKET/load endpoint=$S3_ENDPOINT credentials_file=$WORK/s3-wrong" \
  "target = http://127.0.0.1:$(free_port)/dav/cload" \
  "target = $KDK_NGINX_HTTP/dav/cload" >"$WORK/load.conf"
rc=0
"$BIN" load --config "$WORK/load.conf" --state-dir "$WORK/state" --kernel-release 6.1.0-kdk-test \
  --modules-dir "$WORK/no-modules" >"$WORK/load.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "load armed a configuration whose targets fail"
grep -q "refusing to arm: 3 problems" "$WORK/load.out" || fail "load does not count 3 problems: $(cat "$WORK/load.out")"
grep -q "load.conf:1: target .*certificate" "$WORK/load.out" || fail "line 1 (certificate) not named"
grep -q "load.conf:2: target .*SignatureDoesNotMatch" "$WORK/load.out" || fail "line 2 (S3 secret) not named"
grep -q "load.conf:3: target .*refused" "$WORK/load.out" || fail "line 3 (server down) not named"
grep -q "load.conf:4:" "$WORK/load.out" && fail "the working line 4 is reported"
grep -q "not-the-secret" "$WORK/load.out" && fail "the secret appears in load's output"
[ -e "$WORK/state" ] && grep -q initramfs <<<"$(ls "$WORK/state")" && fail "an initramfs was built for a refused configuration"
echo "  [$CASE] load exit $rc: $(grep -c "load.conf:[0-9]" "$WORK/load.out") lines named"

if [ $FAILS -gt 0 ]; then
  echo "capture-network: $FAILS failure(s); outputs in $WORK"
  KDUMPKIT_KEEP=1
  exit 1
fi
echo "capture-network: all cases passed"
