#!/usr/bin/env bash
# s3.sh: a real S3 server on 127.0.0.1 for the tests. Two servers, chosen by
# KDK_S3_SERVER:
#   radosgw (default)  Ceph's RADOS gateway from Debian (packages radosgw,
#                      ceph-mon, ceph-osd; tests/packages.txt) over a
#                      one-monitor, one-OSD cluster of its own whose OSD keeps
#                      its objects in memory (memstore), all on loopback and in
#                      WORK/ceph. It implements the whole multipart API
#                      (CreateMultipartUpload, UploadPart, Complete, Abort,
#                      ListMultipartUploads, ListParts) and checks SigV4
#                      signatures, so a wrong secret gets SignatureDoesNotMatch.
#   s3rver             the npm @20minutes/s3rver 5.0.0 fork, pinned by
#                      tests/servers/s3rver/package-lock.json and installed with
#                      `npm ci` into $KDUMPKIT_CACHE/s3rver/<lockfile hash>
#                      (never into the source tree). It checks SigV4 too but
#                      lacks ListMultipartUploads (GET /bucket?uploads answers
#                      501) and AbortMultipartUpload (DELETE ?uploadId answers
#                      405); `open-uploads` then reads its storage, where each
#                      open upload is WORK/s3-data/dumps/._S3rver_uploads/<id>.
#                      It declares node >= 24 but runs on Debian's node 20.
#
#   s3.sh start WORK [PORT] [tls]
#                             start it (PORT default 9000) with bucket
#                             `dumps`, log WORK/s3.log; writes WORK/s3.env
#                             (S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY,
#                             S3_SECRET_KEY, S3_PORT, S3_CREDENTIALS, S3_WORK,
#                             S3_SERVER; S3_SERVER_VERSION for radosgw;
#                             S3_DATA, s3rver's storage directory, for s3rver
#                             only) and WORK/s3-credentials
#                             (root-only, the credentials_file format), prints
#                             s3.env. With `tls`: HTTPS with a certificate for
#                             127.0.0.1 from a test CA made in WORK/pki (S3_CA;
#                             S3_WRONG_CA is an unrelated CA).
#   s3.sh stop WORK           stop it (by the pids it recorded)
#   s3.sh open-uploads WORK   prints the multipart uploads open in the bucket
#                             (one "UPLOAD_ID KEY PARTS" line each), from
#                             ListMultipartUploads and ListParts where the
#                             server has them
#   s3.sh keys WORK [PREFIX]  prints the keys of the bucket's objects under
#                             PREFIX, one a line (ListObjects)
#   s3.sh get WORK KEY FILE   writes the object KEY to FILE (GetObject)
#
# The requests of open-uploads, keys and get are signed by curl's own SigV4
# signer (--aws-sigv4), independent of kdumpkit's. curl 7.88 signs a query
# parameter without a value ("?uploads") and a query holding "/" wrongly, so
# these use "?uploads=" and list the whole bucket, filtering by prefix here;
# it signs the path as given, so keys are percent-encoded first.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bucket=dumps
access_key=kdumpkit-test
secret_key=kdumpkit-test-secret

usage() {
  echo "usage: $0 start WORK [PORT] [tls] | stop WORK | open-uploads WORK | keys WORK [PREFIX] | get WORK KEY FILE" >&2
  exit 2
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- s3rver -----------------------------------------------------------------

# The installed server: npm ci once per lockfile content.
s3rver_install_dir() {
  local cache=${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}
  local key
  key=$(cat "$here/s3rver/package.json" "$here/s3rver/package-lock.json" | sha256sum | cut -c1-16)
  local dir=$cache/s3rver/$key
  if [ ! -f "$dir/.installed" ]; then
    command -v npm >/dev/null || {
      echo "s3.sh: npm is missing (nodejs package)" >&2
      exit 1
    }
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    cp "$here/s3rver/package.json" "$here/s3rver/package-lock.json" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    touch "$dir/.installed"
  fi
  echo "$dir"
}

start_s3rver() {
  local work=$1 port=$2 tls=$3
  local dir
  dir=$(s3rver_install_dir)
  mkdir -p "$work/s3-data"
  local tls_args=()
  [ "$tls" = tls ] && tls_args=("$work/pki/server.key" "$work/pki/server.pem")
  NODE_PATH=$dir/node_modules setsid node "$here/s3rver/run.js" "$port" "$work/s3-data" "$bucket" \
    "$access_key" "$secret_key" "${tls_args[@]}" >"$work/s3.log" 2>&1 </dev/null &
  echo $! >"$work/s3.pid"
  echo $! >"$work/s3.pids"
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$work/s3.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$work/s3.pid")" 2>/dev/null; then
      echo "s3.sh: the server exited; its log:" >&2
      cat "$work/s3.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "s3.sh: the server did not start in 10 s; its log:" >&2
  cat "$work/s3.log" >&2
  exit 1
}

# Each open upload is a directory holding `key` and one file per part.
s3rver_open_uploads() {
  local uploads=$1/s3-data/$bucket/._S3rver_uploads
  [ -d "$uploads" ] || return 0
  local d
  for d in "$uploads"/*/; do
    [ -d "$d" ] || continue
    local parts
    parts=$(find "$d" -maxdepth 1 -type f -name '[0-9]*' ! -name '*.md5' | wc -l)
    echo "$(basename "$d") $(cat "$d/key" 2>/dev/null) $parts"
  done
}

# ---- radosgw ----------------------------------------------------------------

# A cluster of one monitor and one OSD for the gateway, in WORK/ceph. No
# cephx (loopback only, a throwaway cluster): the S3 credentials are the
# gateway's own, checked on every request. The OSD's objects live in memory
# (memstore), so nothing of a run stays on disk.
start_radosgw() {
  local work=$1 port=$2 tls=$3
  local b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool; do
    command -v "$b" >/dev/null || {
      echo "s3.sh: $b is missing (Debian packages radosgw ceph-mon ceph-osd, tests/packages.txt)" >&2
      exit 1
    }
  done
  local c=$work/ceph
  rm -rf "$c"
  mkdir -p "$c/mon" "$c/osd" "$c/run"
  local fsid mon_port frontend
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  frontend="beast endpoint=127.0.0.1:$port"
  [ "$tls" = tls ] &&
    frontend="beast ssl_endpoint=127.0.0.1:$port ssl_certificate=$work/pki/server.pem ssl_private_key=$work/pki/server.key"
  # ms_*_mode crc: without cephx there is no key for the "secure" mode, which
  # radosgw would otherwise insist on towards the monitor.
  cat >"$c/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
auth cluster required = none
auth service required = none
auth client required = none
ms bind ipv6 = false
ms mon client mode = crc
ms client mode = crc
run dir = $c/run
admin socket = $c/run/\$name.asok
log file = $c/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
[mon.a]
mon data = $c/mon
[osd.0]
osd data = $c/osd
osd objectstore = memstore
memstore device bytes = 8589934592
[client.rgw]
rgw frontends = $frontend
rgw dns name =
CONF
  export CEPH_CONF=$c/ceph.conf
  local setup=$c/setup.log
  local pids=()
  fail_setup() {
    echo "s3.sh: $1; the setup log:" >&2
    cat "$setup" >&2
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    exit 1
  }
  {
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$c/monmap" &&
      ceph-authtool --create-keyring "$c/mon-keyring" --gen-key -n mon. --cap mon 'allow *' &&
      ceph-mon --mkfs -i a --monmap "$c/monmap" --keyring "$c/mon-keyring"
  } >"$setup" 2>&1 || fail_setup "the monitor could not be made"
  setsid ceph-mon -f -i a >>"$setup" 2>&1 </dev/null &
  pids+=($!)
  echo "${pids[*]}" >"$work/s3.pids"
  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  {
    timeout 60 ceph --connect-timeout 30 osd new "$osd_uuid" 0 &&
      ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid"
  } >>"$setup" 2>&1 || fail_setup "the OSD could not be made"
  setsid ceph-osd -f -i 0 >>"$setup" 2>&1 </dev/null &
  pids+=($!)
  echo "${pids[*]}" >"$work/s3.pids"
  timeout 120 radosgw-admin user create --uid="$access_key" --display-name="kdumpkit tests" \
    --access-key="$access_key" --secret-key="$secret_key" >>"$setup" 2>&1 ||
    fail_setup "the gateway user could not be made"
  setsid radosgw -f -n client.rgw >>"$setup" 2>&1 </dev/null &
  pids+=($!)
  echo "${pids[*]}" >"$work/s3.pids"
  echo "${pids[2]}" >"$work/s3.pid"
  ln -sf "$c/client.rgw.log" "$work/s3.log"
  local code=000 scheme=http
  [ "$tls" = tls ] && scheme=https
  for _ in $(seq 1 300); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/" 2>/dev/null) || true
    [ "$code" != 000 ] && break
    kill -0 "${pids[2]}" 2>/dev/null || fail_setup "radosgw exited"
    sleep 0.1
  done
  [ "$code" != 000 ] || fail_setup "radosgw did not answer in 30 s"
}

# ---- common -----------------------------------------------------------------

make_pki() {
  local pki=$1
  mkdir -p "$pki"
  (
    cd "$pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kdumpkit S3 test CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=unrelated CA" \
      -keyout wrong-ca.key -out wrong-ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem 2>/dev/null
    chmod 644 ca.pem wrong-ca.pem
  )
}

# s3_curl WORK PATH-AND-QUERY [CURL ARGS...]: a request signed by curl,
# printing the body then a last line with the HTTP status.
s3_curl() {
  local work=$1 path=$2
  shift 2
  # shellcheck disable=SC1091
  . "$work/s3.env"
  local ca=()
  [ -n "${S3_CA:-}" ] && ca=(--cacert "$S3_CA")
  curl -sS "${ca[@]}" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -w '\n%{http_code}' "$@" "$S3_ENDPOINT$path"
}

# path_of KEY: the key percent-encoded for a URL path ("/" kept), as SigV4's
# canonical URI has it: curl signs the path as it is given.
path_of() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

# xml_fields TAG FIELD...: from the XML on stdin, one line per TAG element
# with its FIELD children's texts separated by spaces.
xml_fields() {
  python3 -c '
import sys, xml.etree.ElementTree as ET
tag, fields = sys.argv[1], sys.argv[2:]
data = sys.stdin.read()
if not data.strip():
    sys.exit(1)
root = ET.fromstring(data)
strip = lambda t: t.split("}")[-1]
for e in root.iter():
    if strip(e.tag) != tag:
        continue
    kids = {strip(k.tag): (k.text or "") for k in e}
    print(" ".join(kids.get(f, "") for f in fields))
' "$@"
}

# check_answer WHAT: stdin is s3_curl's output; prints the body when the
# status is 200, fails otherwise.
check_answer() {
  local out status
  out=$(cat)
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  if [ "$status" != 200 ]; then
    echo "s3.sh: $1 answered $status: $out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

start() {
  local work=$1 port=${2:-9000} tls=${3:-}
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  if [ -f "$work/s3.pid" ] && kill -0 "$(cat "$work/s3.pid")" 2>/dev/null; then
    echo "s3.sh: already running in $work (pid $(cat "$work/s3.pid"))" >&2
    exit 1
  fi
  local server=${KDK_S3_SERVER:-radosgw}
  local scheme=http
  if [ "$tls" = tls ]; then
    make_pki "$work/pki"
    scheme=https
  fi
  case $server in
    radosgw) start_radosgw "$work" "$port" "$tls" ;;
    s3rver) start_s3rver "$work" "$port" "$tls" ;;
    *)
      echo "s3.sh: KDK_S3_SERVER=$server: radosgw or s3rver" >&2
      exit 2
      ;;
  esac
  (umask 077 && printf 'access_key_id = %s\nsecret_access_key = %s\n' "$access_key" "$secret_key" >"$work/s3-credentials")
  cat >"$work/s3.env" <<ENV
S3_SERVER=$server
S3_ENDPOINT=$scheme://127.0.0.1:$port
S3_PORT=$port
S3_BUCKET=$bucket
S3_ACCESS_KEY=$access_key
S3_SECRET_KEY=$secret_key
S3_CREDENTIALS=$work/s3-credentials
S3_WORK=$work
ENV
  if [ "$server" = s3rver ]; then
    echo "S3_DATA=$work/s3-data" >>"$work/s3.env"
  else
    echo "S3_SERVER_VERSION=\"$(radosgw --version | awk 'NR == 1')\"" >>"$work/s3.env"
  fi
  if [ "$tls" = tls ]; then
    printf 'S3_CA=%s\nS3_WRONG_CA=%s\n' "$work/pki/ca.pem" "$work/pki/wrong-ca.pem" >>"$work/s3.env"
  fi
  if [ "$server" = radosgw ]; then
    s3_curl "$work" "/$bucket" -X PUT | check_answer "CreateBucket $bucket" >/dev/null || {
      stop "$work"
      exit 1
    }
  fi
  cat "$work/s3.env"
}

stop() {
  local work=$1
  [ -f "$work/s3.pids" ] || [ -f "$work/s3.pid" ] || return 0
  local pid pids
  pids=$(cat "$work/s3.pids" 2>/dev/null || cat "$work/s3.pid")
  # The gateway first, the cluster last; the OSD is killed outright, as its
  # memstore would otherwise write all it holds to disk on the way out.
  for pid in $(echo "$pids" | tr ' ' '\n' | tac); do
    kill -0 "$pid" 2>/dev/null || continue
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ceph-osd ]; then
      kill -9 "$pid" 2>/dev/null || true
      continue
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$work/s3.pid" "$work/s3.pids"
}

# ListMultipartUploads, then ListParts for each; s3rver's storage when the
# server does not implement the listing (501).
open_uploads() {
  local work=$1 out status
  out=$(s3_curl "$work" "/$bucket?uploads=")
  status=${out##*$'\n'}
  if [ "$status" = 501 ]; then
    s3rver_open_uploads "$work"
    return
  fi
  local uploads
  uploads=$(printf '%s\n' "$out" | check_answer ListMultipartUploads | xml_fields Upload UploadId Key)
  local id key parts
  while read -r id key; do
    [ -n "$id" ] || continue
    parts=$(s3_curl "$work" "/$bucket/$(path_of "$key")?uploadId=$id" | check_answer "ListParts $key" | xml_fields Part PartNumber | wc -l)
    echo "$id $key $parts"
  done <<<"$uploads"
}

keys() {
  local work=$1 prefix=${2:-}
  s3_curl "$work" "/$bucket" | check_answer ListObjects >"$work/.listing"
  if grep -q '<IsTruncated>true</IsTruncated>' "$work/.listing"; then
    echo "s3.sh: more than one listing page of objects: not handled" >&2
    return 1
  fi
  xml_fields Contents Key <"$work/.listing" | while IFS= read -r k; do
    case $k in "$prefix"*) printf '%s\n' "$k" ;; esac
  done
  rm -f "$work/.listing"
}

get() {
  local work=$1 key=$2 file=$3 status
  status=$(s3_curl "$work" "/$bucket/$(path_of "$key")" -o "$file" | tail -n1)
  [ "$status" = 200 ] || {
    echo "s3.sh: GetObject $key answered $status" >&2
    return 1
  }
}

[ $# -ge 2 ] || usage
case $1 in
  start) start "$2" "${3:-}" "${4:-}" ;;
  stop) stop "$2" ;;
  open-uploads) open_uploads "$2" ;;
  keys) keys "$2" "${3:-}" ;;
  get) [ $# -eq 4 ] || usage; get "$2" "$3" "$4" ;;
  *) usage ;;
esac
