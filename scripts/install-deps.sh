#!/usr/bin/env bash
# install-deps.sh [LIST...]: installs the Debian packages named in the
# package lists given (default: the build's, the QEMU harness's and the
# tests': toolchain/packages.txt qemu/packages.txt tests/packages.txt).
# Does nothing when all are present; installs only what is missing and
# upgrades nothing it was not asked for.
set -euo pipefail
cd "$(dirname "$0")/.."

lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=(toolchain/packages.txt qemu/packages.txt tests/packages.txt)
mapfile -t wanted < <(cat "${lists[@]}" |
  sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

missing=()
for p in "${wanted[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != 'install ok installed' ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends --no-upgrade "${missing[@]}"
