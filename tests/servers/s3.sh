#!/usr/bin/env bash
# s3.sh: a real S3 server on 127.0.0.1 for the tests (s3rver from the npm
# registry, pinned by tests/servers/s3rver/package-lock.json and installed
# with `npm ci` into $KDUMPKIT_CACHE/s3rver/<lockfile hash>, never into the
# source tree).
#
#   s3.sh start WORK [PORT] [tls]
#                             start it (PORT default 9000) with bucket
#                             `dumps`, data in WORK/s3-data, log WORK/s3.log;
#                             writes WORK/s3.env (S3_ENDPOINT, S3_BUCKET,
#                             S3_ACCESS_KEY, S3_SECRET_KEY, S3_DATA, S3_PORT,
#                             S3_CREDENTIALS, S3_WORK)
#                             With `tls`: HTTPS with a certificate for
#                             127.0.0.1 from a test CA made in WORK/pki
#                             (S3_CA; S3_WRONG_CA is an unrelated CA).
#                             and WORK/s3-credentials (root-only, the
#                             credentials_file format), prints s3.env
#   s3.sh stop WORK           stop it (by the pid it recorded)
#   s3.sh open-uploads WORK   prints the multipart uploads left open in the
#                             bucket (one "UPLOAD_ID KEY PARTS" line each)
#
# Why the @20minutes/s3rver fork (5.0.0) rather than s3rver 3.7.1: 3.7.1
# does not check SigV4 signatures at all (any secret is accepted), the fork
# does. Both lack ListMultipartUploads (GET /bucket?uploads answers 501
# NotImplemented) and AbortMultipartUpload (DELETE ?uploadId answers 405
# MethodNotAllowed): `open-uploads` reads the server's storage instead, where
# each open upload is a directory WORK/s3-data/dumps/._S3rver_uploads/<id>
# holding `key` and one file per received part; CompleteMultipartUpload
# removes it. The fork declares node >= 24 but runs on Debian's node 20.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bucket=dumps
access_key=kdumpkit-test
secret_key=kdumpkit-test-secret

usage() {
  echo "usage: $0 start WORK [PORT] [tls] | stop WORK | open-uploads WORK" >&2
  exit 2
}

# The installed server: npm ci once per lockfile content.
install_dir() {
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

start() {
  local work=$1 port=${2:-9000} tls=${3:-}
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  if [ -f "$work/s3.pid" ] && kill -0 "$(cat "$work/s3.pid")" 2>/dev/null; then
    echo "s3.sh: already running in $work (pid $(cat "$work/s3.pid"))" >&2
    exit 1
  fi
  local dir
  dir=$(install_dir)
  mkdir -p "$work/s3-data"
  local scheme=http tls_args=()
  if [ "$tls" = tls ]; then
    make_pki "$work/pki"
    scheme=https
    tls_args=("$work/pki/server.key" "$work/pki/server.pem")
  fi
  NODE_PATH=$dir/node_modules setsid node "$here/s3rver/run.js" "$port" "$work/s3-data" "$bucket" \
    "$access_key" "$secret_key" "${tls_args[@]}" >"$work/s3.log" 2>&1 </dev/null &
  echo $! >"$work/s3.pid"
  local i
  for i in $(seq 1 100); do
    if grep -q "listening on" "$work/s3.log" 2>/dev/null; then break; fi
    if ! kill -0 "$(cat "$work/s3.pid")" 2>/dev/null; then
      echo "s3.sh: the server exited; its log:" >&2
      cat "$work/s3.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  grep -q "listening on" "$work/s3.log" || {
    echo "s3.sh: the server did not start in 10 s; its log:" >&2
    cat "$work/s3.log" >&2
    exit 1
  }
  (umask 077 && printf 'access_key_id = %s\nsecret_access_key = %s\n' "$access_key" "$secret_key" >"$work/s3-credentials")
  cat >"$work/s3.env" <<EOF
S3_ENDPOINT=$scheme://127.0.0.1:$port
S3_PORT=$port
S3_BUCKET=$bucket
S3_ACCESS_KEY=$access_key
S3_SECRET_KEY=$secret_key
S3_DATA=$work/s3-data
S3_CREDENTIALS=$work/s3-credentials
S3_WORK=$work
EOF
  if [ "$tls" = tls ]; then
    printf 'S3_CA=%s\nS3_WRONG_CA=%s\n' "$work/pki/ca.pem" "$work/pki/wrong-ca.pem" >>"$work/s3.env"
  fi
  cat "$work/s3.env"
}

stop() {
  local work=$1
  [ -f "$work/s3.pid" ] || return 0
  local pid
  pid=$(cat "$work/s3.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$work/s3.pid"
}

open_uploads() {
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

[ $# -ge 2 ] || usage
case $1 in
  start) start "$2" "${3:-}" "${4:-}" ;;
  stop) stop "$2" ;;
  open-uploads) open_uploads "$2" ;;
  *) usage ;;
esac
