#!/usr/bin/env bash
# install_test.sh SOURCE_DIR BINARY: `make install-files` into a DESTDIR,
# `systemd-analyze verify` of the installed unit, and the kernel hooks run
# against that DESTDIR: postinst builds the new kernel's capture initramfs
# (with its target's filesystem module), postrm removes it.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools systemd-analyze losetup mkfs.ext4
kdk_need_root
src=$1
bin=$2
work=$(mktemp -d)
loop=
cleanup() {
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

dest=$work/root
make -s -C "$src" install-files DESTDIR="$dest" KDUMPKIT_BIN="$bin" >/dev/null
for f in usr/sbin/kdumpkit lib/systemd/system/kdumpkit.service etc/kernel/postinst.d/zz-kdumpkit \
  etc/kernel/postrm.d/zz-kdumpkit usr/lib/kernel/install.d/60-kdumpkit.install etc/kdumpkit.conf \
  usr/share/doc/kdumpkit/README.md; do
  [ -e "$dest/$f" ] || fail "make install did not install /$f"
done
[ "$(stat -c %a "$dest/etc/kdumpkit.conf")" = 600 ] || fail "/etc/kdumpkit.conf is not mode 600"
grep -q '^kdumpkit ' <<<"$("$dest/usr/sbin/kdumpkit" --version)" || fail "the installed binary does not run"

# The unit: systemd's own checker, against the installed tree (with the
# system's own targets beside it, which the unit orders itself against).
cp -n /lib/systemd/system/*.target "$dest/lib/systemd/system/" 2>/dev/null || true
out=$(systemd-analyze verify --root="$dest" /lib/systemd/system/kdumpkit.service 2>&1) ||
  fail "systemd-analyze verify: $out"
echo "systemd-analyze verify: ok${out:+ ($out)}"
# A raw partition's dump is saved before load arms again, and its failure does not stop load.
grep -q '^ExecStartPre=-/usr/sbin/kdumpkit savecore$' "$dest/lib/systemd/system/kdumpkit.service" ||
  fail "the unit does not run 'kdumpkit savecore' (failure ignored) before load"
# With no raw target configured, savecore has nothing to do and says so.
out=$("$dest/usr/sbin/kdumpkit" savecore --config "$dest/etc/kdumpkit.conf" --dir "$work/crash" 2>&1) ||
  fail "savecore without raw targets: $out"

# The installed default configuration is one `load` accepts (but for its
# example device, which this machine does not have).
out=$("$dest/usr/sbin/kdumpkit" initramfs --config "$dest/etc/kdumpkit.conf" -o "$work/x.img" 2>&1) || true
grep -q 'no device with LABEL=kdump' <<<"$out" || fail "the default configuration: $out"

# The hooks: a new kernel "9.9.9-test" with a fake module tree, and a
# configuration whose target is an ext4 filesystem on a loop device.
release=9.9.9-test
mods=$dest/lib/modules/$release
mkdir -p "$mods/kernel/fs/ext4" "$mods/kernel/fs/jbd2" "$mods/kernel/lib"
printf 'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/lib/crc16.ko\nkernel/fs/jbd2/jbd2.ko:\nkernel/lib/crc16.ko:\n' \
  >"$mods/modules.dep"
for m in fs/ext4/ext4 fs/jbd2/jbd2 lib/crc16; do echo "module $m" >"$mods/kernel/$m.ko"; done
truncate -s 16M "$work/disk.img"
mkfs.ext4 -q -F -L kdktest "$work/disk.img"
loop=$(losetup -f --show "$work/disk.img")
echo "target = disk:$loop:/crash" >"$dest/etc/kdumpkit.conf"

KDUMPKIT_ROOT=$dest "$dest/etc/kernel/postinst.d/zz-kdumpkit" "$release" /boot/vmlinuz-$release
img=$dest/var/lib/kdumpkit/initramfs-$release.img
[ -s "$img" ] || fail "postinst built no $img"
listing=$(cpio -it --quiet <"$img")
for want in init dev/console etc/kdumpkit.conf etc/kdumpkit/load.conf \
  lib/modules/$release/kernel/fs/ext4/ext4.ko lib/modules/$release/kernel/fs/jbd2/jbd2.ko; do
  grep -qx "$want" <<<"$listing" || fail "the capture initramfs lacks $want (has: $(tr '\n' ' ' <<<"$listing"))"
done
echo "postinst: $img ($(stat -c %s "$img") bytes) holds /init, the config and ext4 with its dependencies"

# kernel-install calls the same hooks.
KDUMPKIT_ROOT=$dest "$dest/usr/lib/kernel/install.d/60-kdumpkit.install" remove "$release" /boot/x
[ ! -e "$img" ] || fail "postrm (through kernel-install) left $img"
echo "postrm: removed"
echo "packaging: 1 passed, 0 failed"
