#!/usr/bin/env bash
# toolchain/sources.sh against a real apt repository: a local file:
# repository made with dpkg-scansources from lzo2's real Debian source
# package, plus a higher version whose files are absent and a lower one that
# is complete. Proves that the lock is honoured, that a locked version the
# repository cannot serve falls back to the highest complete one with one
# line saying so, that a lock whose hashes differ from the index is not
# satisfied, that no usable version at all is an error, that a warm cache
# needs no repository, and that `sources.sh lock` writes the highest
# complete version.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SOURCES=$ROOT/toolchain/sources.sh
. "$ROOT/tests/lib/skip.sh"
kdk_need_tools dpkg-scansources apt-get

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kdk-sources.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0
fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}

# The real lzo2 source package, through the toolchain's cache (or the mirror).
KDK_SOURCE_PACKAGES=lzo2 "$SOURCES" fetch "$WORK/real" 2>"$WORK/real.err" || {
  cat "$WORK/real.err"
  echo "FAIL: cannot get lzo2's source package"
  exit 1
}
read -r _ REAL_VER <"$WORK/real"
CACHE=${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}
REAL=$CACHE/sources/lzo2_$REAL_VER
UP=${REAL_VER%-*}         # upstream version, e.g. 2.10
HIGH=$UP-99               # listed, files absent
LOW=$UP-0kdk1             # listed, complete
DSC=$(ls "$REAL"/*.dsc)
DEBTAR=$(ls "$REAL"/*.debian.tar.*)
EXT=${DEBTAR##*.debian.tar.}

REPO=$WORK/repo
mkdir -p "$REPO"
cp "$REAL"/* "$REPO/"
rm -f "$REPO/files"
# A .dsc of another version over the same files (the debian tarball renamed).
derive() {
  local ver=$1
  sed -e "s/^Version: .*/Version: $ver/" \
    -e "s/lzo2_${REAL_VER}\.debian\.tar/lzo2_${ver}.debian.tar/" "$DSC" >"$REPO/lzo2_${ver}.dsc"
}
derive "$HIGH"
derive "$LOW"
cp "$DEBTAR" "$REPO/lzo2_${LOW}.debian.tar.$EXT"
(cd "$REPO" && dpkg-scansources . /dev/null >Sources 2>/dev/null)
grep -q "^Version: $HIGH\$" "$REPO/Sources" && grep -q "^Version: $LOW\$" "$REPO/Sources" ||
  { echo "FAIL: dpkg-scansources did not list the derived versions"; exit 1; }
echo "deb-src [trusted=yes] file:$REPO ./" >"$WORK/list"

# Lines of a lock for VERSION, with the hashes the repository's index gives.
lock_for() {
  awk -v v="$1" -v RS= '$0 ~ "\nVersion: " v "\n" {
      n = split($0, l, "\n"); on = 0
      for (i = 1; i <= n; i++) {
        if (l[i] ~ /^Checksums-Sha256:/) { on = 1; continue }
        if (on && l[i] ~ /^ /) { split(l[i], f, " "); print "lzo2", v, f[1], f[2], f[3] } else on = 0
      }
    }' "$REPO/Sources"
}

# run NAME LOCK-TEXT: sources.sh fetch with its own cache; sets OUT (stdout
# of the resolution: the version), ERR (its messages) and RC.
run() {
  local name=$1
  printf '%s\n' "$2" >"$WORK/$name.lock"
  RC=0
  KDUMPKIT_CACHE=$WORK/cache-$name KDK_SOURCES_LOCK=$WORK/$name.lock KDK_SOURCES_LIST=$WORK/list \
    "$SOURCES" fetch "$WORK/$name.resolved" 2>"$WORK/$name.err" || RC=$?
  ERR=$(cat "$WORK/$name.err")
  OUT=$( [ -f "$WORK/$name.resolved" ] && awk '{print $2}' "$WORK/$name.resolved" || true)
}

# 1. The locked version is taken although a higher one is listed.
run locked "$(lock_for "$REAL_VER")"
[ $RC = 0 ] && [ "$OUT" = "$REAL_VER" ] || fail "lock $REAL_VER: rc $RC, got '$OUT': $ERR"
[ -z "$ERR" ] || fail "lock $REAL_VER: unexpected messages: $ERR"
[ -f "$WORK/cache-locked/sources/lzo2_$REAL_VER/$(basename "$DSC")" ] || fail "lock $REAL_VER: files not in the cache"

# 2. A locked version whose files are absent: the highest complete one, said in one line.
run absent "$(lock_for "$HIGH")"
[ $RC = 0 ] && [ "$OUT" = "$REAL_VER" ] || fail "lock $HIGH (files absent): rc $RC, got '$OUT': $ERR"
[ "$(grep -c . <<<"$ERR")" = 1 ] && grep -q "^sources: lzo2: locked $HIGH unavailable (.*), using $REAL_VER\$" <<<"$ERR" ||
  fail "lock $HIGH: want one line 'locked $HIGH unavailable ..., using $REAL_VER', got: $ERR"

# 3. A locked version the index does not know at all.
run unknown "lzo2 $UP-77 0000000000000000000000000000000000000000000000000000000000000000 1 lzo2_$UP-77.dsc"
[ $RC = 0 ] && [ "$OUT" = "$REAL_VER" ] || fail "lock $UP-77 (not listed): rc $RC, got '$OUT': $ERR"
grep -q "locked $UP-77 unavailable (not in the Sources indexes), using $REAL_VER" <<<"$ERR" ||
  fail "lock $UP-77: message: $ERR"

# 4. A lock whose hash differs from the index is not satisfied by that version.
run tampered "$(lock_for "$REAL_VER" | sed '1s/ [0-9a-f]\{64\} / 1111111111111111111111111111111111111111111111111111111111111111 /')"
[ $RC = 0 ] && [ "$OUT" = "$LOW" ] || fail "tampered lock: rc $RC, want $LOW, got '$OUT': $ERR"
grep -q "locked $REAL_VER unavailable (the index's files differ from the lock's), using $LOW" <<<"$ERR" ||
  fail "tampered lock: message: $ERR"

# 5. A warm cache needs no repository: the lock is satisfied from the cache.
echo "deb-src [trusted=yes] file:$WORK/nowhere ./" >"$WORK/deadlist"
RC=0
KDUMPKIT_CACHE=$WORK/cache-locked KDK_SOURCES_LOCK=$WORK/locked.lock KDK_SOURCES_LIST=$WORK/deadlist \
  "$SOURCES" fetch "$WORK/warm.resolved" 2>"$WORK/warm.err" || RC=$?
[ $RC = 0 ] && [ "$(cat "$WORK/warm.resolved")" = "lzo2 $REAL_VER" ] ||
  fail "warm cache without a repository: rc $RC: $(cat "$WORK/warm.err")"

# 6. `lock` writes the highest complete version, with the index's hashes.
RC=0
KDUMPKIT_CACHE=$WORK/cache-relock KDK_SOURCES_LOCK=$WORK/new.lock KDK_SOURCES_LIST=$WORK/list \
  KDK_SOURCE_PACKAGES=lzo2 "$SOURCES" lock 2>"$WORK/relock.err" || RC=$?
[ $RC = 0 ] || fail "lock: rc $RC: $(cat "$WORK/relock.err")"
diff <(grep -v '^#' "$WORK/new.lock" | sort) <(lock_for "$REAL_VER" | sort) >/dev/null ||
  fail "lock wrote: $(grep -v '^#' "$WORK/new.lock" | tr '\n' ';') want $REAL_VER's files"
grep -q "lzo2: $HIGH unavailable" "$WORK/relock.err" || fail "lock did not say that $HIGH is unavailable"

# 7. When the shared upstream tarball is damaged no version is usable: an error naming the package.
chmod u+w "$REPO"/*.orig.tar.*
printf 'damaged' | dd of="$(ls "$REPO"/*.orig.tar.* | grep -v '\.asc$')" bs=1 seek=100 conv=notrunc 2>/dev/null
run damaged "$(lock_for "$REAL_VER")"
[ $RC != 0 ] || fail "damaged tarball: succeeded with '$OUT'"
grep -q "lzo2: no version could be downloaded and verified" <<<"$ERR" || fail "damaged tarball: message: $ERR"

if [ $FAILS -gt 0 ]; then
  echo "sources-lock: $FAILS check(s) failed"
  exit 1
fi
echo "sources-lock: all checks passed (real version $REAL_VER, absent $HIGH, complete $LOW)"
