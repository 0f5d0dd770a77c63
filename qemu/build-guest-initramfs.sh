#!/usr/bin/env bash
# build-guest-initramfs.sh BINARY OUT.cpio: builds the first (production)
# kernel's initramfs with busybox-static, BINARY as /usr/sbin/kdumpkit, the
# kernel image, the module index and the modules of the supported targets,
# /etc/kdumpkit.conf and qemu/guest-init.sh as /init. Fetches the guest first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || kdk_die "usage: $0 BINARY OUT.cpio"
kdk_require_tools apt-get apt-cache dpkg-deb depmod modprobe cpio
kdk_fetch_guest
kdk_build_first_initramfs "$1" "$2"
echo "$2: $(du -h "$2" | cut -f1), kernel $KDK_KREL"
