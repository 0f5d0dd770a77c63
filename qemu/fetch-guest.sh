#!/usr/bin/env bash
# Fetches the Debian distribution kernel (what linux-image-amd64 depends on)
# and busybox-static into ${KDUMPKIT_CACHE:-~/.cache/kdumpkit}/guest/<key>/,
# keyed by the resolved package versions, runs depmod over the modules, and
# prints the cache entry. A second run with the same versions is instant.
# The host's /boot and /lib/modules are never touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kdk_require_tools apt-get apt-cache dpkg-deb depmod
kdk_fetch_guest
echo "kernel:   $KDK_KPKG $KDK_KVER (release $KDK_KREL)"
echo "busybox:  busybox-static $KDK_BBVER"
echo "vmlinuz:  $KDK_VMLINUZ"
echo "cache:    $KDK_GUEST_DIR"
