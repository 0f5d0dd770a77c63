#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, as
# listed in each part's packages.txt (plus any list files given as
# arguments). Does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(cat toolchain/packages.txt qemu/packages.txt tests/packages.txt "$@" 2>/dev/null |
  sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
