#!/usr/bin/env bash
# test-checks.sh: checks the checkers of qemu/lib.sh on fabricated inputs (no
# QEMU, no kdumpkit): a good dump passes; an empty or non-ELF vmcore, a
# leftover vmcore-incomplete, two dumps, a badly named dump, a dump on the
# decoy disk, a console without the final line, with a capture failure or
# with a panic in the capture kernel all fail. Runs in a few seconds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools mkfs.ext4 debugfs e2fsck readelf truncate
exec 2>&1
kdk_require_tools mkfs.ext4 debugfs e2fsck readelf truncate

mkdir -p "${KDUMPKIT_WORK:-/tmp}"
T=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-checks.XXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

expect() { # expect ok|fail NAME CMD...
  local want=$1 name=$2 got=ok out
  shift 2
  out=$("$@" 2>&1) || got=fail
  if [ "$got" = "$want" ]; then
    pass=$((pass + 1))
    printf 'ok    %-46s %s\n' "$name" "$(head -n1 <<<"$out")"
  else
    fail=$((fail + 1))
    printf 'WRONG %-46s want %s, got %s: %s\n' "$name" "$want" "$got" "$out"
  fi
}

# A minimal little-endian ELF64 header of type ET_CORE, x86-64.
elf_core() { # elf_core FILE SIZE
  printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000' >"$1"
  printf '\004\000\076\000\001\000\000\000' >>"$1"                  # e_type CORE, x86-64, version
  printf '\000\000\000\000\000\000\000\000%.0s' 1 2 3 >>"$1"        # entry, phoff, shoff
  printf '\000\000\000\000\100\000\070\000\000\000\000\000\000\000\000\000' >>"$1"
  truncate -s "$2" "$1"
}

# disk NAME LABEL: an ext4 image from the tree $T/NAME.d
disk() {
  truncate -s 512M "$T/$1.img"
  mkfs.ext4 -q -F -L "$2" -d "$T/$1.d" "$T/$1.img"
}

D=kdk-guest-2025-01-02-03:04:05
big=$((120 * 1024 * 1024))

mkdir -p "$T/good.d/crash/$D"
elf_core "$T/good.d/crash/$D/vmcore" $big
disk good kdumpdata
expect ok "good dump" kdk_check_target "$T/good.img" "$T/out"
expect ok "good dump: fsck" kdk_check_fsck "$T/good.img"
expect ok "vmcore check of a big ELF core" kdk_check_vmcore "$T/good.d/crash/$D/vmcore"

mkdir -p "$T/empty.d/crash/$D" && : >"$T/empty.d/crash/$D/vmcore"
disk empty kdumpdata
expect fail "empty vmcore" kdk_check_target "$T/empty.img" "$T/out"

mkdir -p "$T/small.d/crash/$D" && elf_core "$T/small.d/crash/$D/vmcore" 4096
disk small kdumpdata
expect fail "small vmcore" kdk_check_target "$T/small.img" "$T/out"

mkdir -p "$T/notelf.d/crash/$D" && truncate -s $big "$T/notelf.d/crash/$D/vmcore"
disk notelf kdumpdata
expect fail "vmcore not an ELF core" kdk_check_target "$T/notelf.img" "$T/out"

mkdir -p "$T/incomplete.d/crash/$D"
elf_core "$T/incomplete.d/crash/$D/vmcore" $big
: >"$T/incomplete.d/crash/$D/vmcore-incomplete"
disk incomplete kdumpdata
expect fail "vmcore-incomplete left" kdk_check_target "$T/incomplete.img" "$T/out"

mkdir -p "$T/onlyinc.d/crash/$D"
elf_core "$T/onlyinc.d/crash/$D/vmcore-incomplete" $big
disk onlyinc kdumpdata
expect fail "only vmcore-incomplete" kdk_check_target "$T/onlyinc.img" "$T/out"

mkdir -p "$T/two.d/crash/$D" "$T/two.d/crash/kdk-guest-2025-01-02-03:04:06"
elf_core "$T/two.d/crash/$D/vmcore" $big
disk two kdumpdata
expect fail "two dump directories" kdk_check_target "$T/two.img" "$T/out"

mkdir -p "$T/name.d/crash/localhost-2025-01-02-03:04:05"
elf_core "$T/name.d/crash/localhost-2025-01-02-03:04:05/vmcore" $big
disk name kdumpdata
expect fail "dump directory badly named" kdk_check_target "$T/name.img" "$T/out"

mkdir -p "$T/none.d/lost+found"
disk none kdumpdata
expect fail "nothing saved (target untouched)" kdk_check_target "$T/none.img" "$T/out"

mkdir -p "$T/decoyok.d"
disk decoyok decoy
expect ok "decoy untouched" kdk_check_decoy "$T/decoyok.img"
expect fail "decoy has /crash (wrong disk used)" kdk_check_decoy "$T/good.img"

# Consoles.
first='[    0.000000] Linux version 6.1.0-56-amd64 (x) #1 SMP
[    2.000000] Run /init as init process
KDK-GUEST: userspace up, kernel 6.1.0-56-amd64, hostname kdk-guest
KDK-GUEST: running kdumpkit load
KDK-GUEST: armed
KDK-GUEST: crashing now: echo c > /proc/sysrq-trigger
[    4.000000] sysrq: Trigger a crash
[    4.000001] Kernel panic - not syncing: sysrq triggered crash'
second='[    0.000000] Linux version 6.1.0-56-amd64 (x) #1 SMP
[    3.000000] Run /init as init process'
printf '%s\r\n' "$first" "$second" 'kdumpkit: capture starting' '[    5.000000] ext4 stuff' \
  'kdumpkit: capture complete' '[   20.000000] reboot: Restarting system' >"$T/good.log"
expect ok "good console" kdk_check_console "$T/good.log"
sed '/capture complete/d' "$T/good.log" >"$T/nofinal.log"
expect fail "console without the final line" kdk_check_console "$T/nofinal.log"
sed 's/capture complete/capture failed: ENOSPC writing vmcore/' "$T/good.log" >"$T/failed.log"
expect fail "console with 'capture failed'" kdk_check_console "$T/failed.log"
sed 's/ext4 stuff/Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100/' "$T/good.log" >"$T/panic.log"
expect fail "capture kernel panicked" kdk_check_console "$T/panic.log"
printf '%s\r\n' "$first" >"$T/nocapture.log"
expect fail "capture kernel never booted" kdk_check_console "$T/nocapture.log"
sed 's/KDK-GUEST: armed/KDK-GUEST: load failed (kdumpkit load exited 1)/' "$T/nocapture.log" >"$T/loadfail.log"
expect fail "load failed" kdk_check_console "$T/loadfail.log"

# The crashed kernel's log: a file that is no vmcore must fail.
expect fail "dmesg of a non-vmcore" kdk_check_dmesg "$T/good.d/crash/$D/vmcore" "$T/dmesg.txt"

# The pinned guest kernels (qemu/kernels.lock) against a local apt
# repository: the pin when it is there; when the mirror moved on, the newest
# of the series, said in one line; no package of the series, an error.
stanza() { # stanza PACKAGE VERSION
  printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: t <t@t>\nFilename: ./%s_%s_amd64.deb\nSize: 1\nSHA256: %064d\nDescription: test\n\n' \
    "$1" "$2" "$1" "$2" 0
}
mkdir -p "$T/repo" "$T/aptst/lists/partial" "$T/aptst/cache/archives/partial"
{
  stanza linux-image-6.1.0-50-amd64 6.1.170-1
  stanza linux-image-6.1.0-55-amd64 6.1.180-1
  stanza linux-image-6.1.0-55-cloud-amd64 6.1.180-1
  stanza linux-image-6.12.99+deb12-amd64 6.12.99-1
  stanza busybox-static 1:1.35.0-4
} >"$T/repo/Packages"
echo "deb [trusted=yes] file:$T/repo ./" >"$T/aptst/sources.list"
KDK_GAPT=(-o "Dir::Etc::SourceList=$T/aptst/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$T/aptst/lists" -o "Dir::Cache=$T/aptst/cache" -o "Dir::State::status=/dev/null"
  -o "Acquire::Languages=none" -o "APT::Architectures::=amd64" -o "APT::Architecture=amd64")
[ "$(id -u)" = 0 ] && KDK_GAPT+=(-o "APT::Sandbox::User=root")
apt-get "${KDK_GAPT[@]}" -q update >"$T/aptst/update.log" 2>&1 || cat "$T/aptst/update.log"
lock_case() { # lock_case NAME PINNED-PACKAGE PINNED-VERSION WANT
  local name=$1 got
  printf '6.1 x ^linux-image-6\\.1\\.0-[0-9]+-amd64$ %s %s\n' "$2" "$3" >"$T/kernels.lock"
  got=$(KDK_KERNELS_LOCK=$T/kernels.lock kdk_resolve_locked 6.1 2>"$T/lock.err") || got="error: $(cat "$T/lock.err")"
  if [ "$got" = "$4" ]; then echo "$(cat "$T/lock.err")"; else echo "want '$4', got '$got'" >&2; return 1; fi
}
expect ok "kernel lock: the pin" lock_case pinned linux-image-6.1.0-50-amd64 6.1.170-1 "linux-image-6.1.0-50-amd64 6.1.170-1"
expect ok "kernel lock: pin gone, newest of the series" lock_case gone linux-image-6.1.0-57-amd64 6.1.192-3 \
  "linux-image-6.1.0-55-amd64 6.1.180-1"
expect ok "kernel lock: the fallback is said" grep -q "6.1: pinned linux-image-6.1.0-57-amd64 6.1.192-3 unavailable, using linux-image-6.1.0-55-amd64 6.1.180-1" "$T/lock.err"
printf 'sid x ^linux-image-7\\.[0-9.]+\\+deb14-amd64$ linux-image-7.2.13+deb14-amd64 7.2.13-1\n' >"$T/kernels.lock"
KDK_KERNELS_LOCK=$T/kernels.lock
expect fail "kernel lock: no package of the series" kdk_resolve_locked sid

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
