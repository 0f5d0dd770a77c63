#!/bin/sh
# The "busy" workload of qemu/fixtures.sh, run by guest-init.sh (as
# /etc/kdk/before-crash) once the capture kernel is armed. It leaves memory
# in which every makedumpfile dump level has pages to exclude:
#   cache (-d 2)          a file read from ext4 on vdc (clean page cache,
#                         no buffer heads: ext4 reads whole pages)
#   cache-private (-d 4)  files written on that ext4 (buffered writes attach
#                         buffer heads: PG_private); one synced, one dirty
#   user (-d 8)           memhog's anonymous memory and hugetlb pages
#   free (-d 16)          what is left: the sizes below leave ~200 MiB free
#   zero (-d 1)           the kernel's own zeroed pages
# Sizes in MiB come from /etc/kdk/busy.conf (written by fixtures.sh).
say() { echo "KDK-GUEST: busy: $*"; }
fail() {
  say "FAILED: $*"
  exit 1
}

PRIVATE_MIB=48 DIRTY_MIB=16 ANON_MIB=128 HUGE_PAGES=2
# shellcheck disable=SC1091
[ -f /etc/kdk/busy.conf ] && . /etc/kdk/busy.conf

modprobe ext4 || fail "modprobe ext4"
i=0
while [ ! -b /dev/vdc ]; do
  i=$((i + 1))
  [ $i -gt 300 ] && fail "no /dev/vdc after 30 s"
  sleep 0.1
done
mkdir -p /work && mount -t ext4 /dev/vdc /work || fail "mount /dev/vdc"

say "reading /work/cache.bin (page cache)"
cat /work/cache.bin >/dev/null || fail "reading cache.bin"

say "writing ${PRIVATE_MIB} MiB (synced) and ${DIRTY_MIB} MiB (left dirty) on ext4"
yes 'kdumpkit private page cache' | head -c "$((PRIVATE_MIB << 20))" >/work/private.bin || fail "writing private.bin"
sync
yes 'kdumpkit dirty page cache' | head -c "$((DIRTY_MIB << 20))" >/work/dirty.bin || fail "writing dirty.bin"

echo "$HUGE_PAGES" >/proc/sys/vm/nr_hugepages 2>/dev/null || say "cannot reserve hugetlb pages (going on)"
say "starting memhog ${ANON_MIB} MiB + ${HUGE_PAGES} hugetlb pages"
/usr/bin/memhog "$ANON_MIB" "$HUGE_PAGES" >/tmp/memhog.out 2>&1 &
i=0
until grep -q 'memhog: ready' /tmp/memhog.out 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 600 ] && fail "memhog not ready after 60 s: $(cat /tmp/memhog.out)"
  kill -0 $! 2>/dev/null || fail "memhog died: $(cat /tmp/memhog.out)"
  sleep 0.1
done
say "$(cat /tmp/memhog.out)"
say "meminfo: $(grep -E '^(MemTotal|MemFree|Cached|Buffers|Dirty|AnonPages|Shmem|HugePages_Total|HugePages_Free):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
say "ready"
