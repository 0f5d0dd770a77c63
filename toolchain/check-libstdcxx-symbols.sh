#!/usr/bin/env bash
# Usage: toolchain/check-libstdcxx-symbols.sh SHIMLIB
#
# Debian's libstdc++.a, libsupc++.a and libgcc_eh.a were built for glibc.
# This check fails when they need a symbol (strong undefined reference)
# that nothing in the static musl link provides: not musl's libc.a, not
# libgcc.a / libgcc_eh.a, not libstdc++ / libsupc++ themselves, not the C
# runtime objects, not the linker, and not SHIMLIB (libglibcshim.a).
#
# It also covers the glibc functions libstdc++'s *headers* call inline,
# as configured in its c++config.h (_GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT,
# ...): those end up in the product's own objects.
#
# Exceptions are listed in toolchain/unshimmed-symbols.txt; an entry is only
# accepted while every object that needs the symbol is part of libstdc++'s
# locale / iostream code, which the product never links.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 SHIMLIB" >&2
  exit 2
fi
shimlib=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
allow=$here/unshimmed-symbols.txt
cxx=${KDK_CXX:-g++-12}
musl=${KDK_MUSL_LIBDIR:-/usr/lib/x86_64-linux-musl}

gcclib() { "$cxx" -print-file-name="$1"; }
libstdcxx=$(gcclib libstdc++.a)
libsupcxx=$(gcclib libsupc++.a)
libgcc=$(gcclib libgcc.a)
libgcc_eh=$(gcclib libgcc_eh.a)
crtbegin=$(gcclib crtbeginT.o)
crtend=$(gcclib crtend.o)
cxxconfig=$(echo '#include <bits/c++config.h>' | "$cxx" -x c++ -E -H - 2>&1 >/dev/null |
  sed -n 's/^\.* *\(.*bits\/c++config\.h\)$/\1/p' | awk 'NR == 1')

for f in "$libstdcxx" "$libsupcxx" "$libgcc" "$libgcc_eh" "$crtbegin" "$crtend" \
  "$musl/libc.a" "$musl/crt1.o" "$musl/crti.o" "$musl/crtn.o" "$shimlib" "$cxxconfig" "$allow"; do
  [ -f "$f" ] || { echo "check-libstdcxx-symbols: missing $f" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "member symbol" for every strong undefined reference of the glibc-built
# archives.
for a in "$libstdcxx" "$libsupcxx" "$libgcc" "$libgcc_eh"; do
  nm -A "$a" 2>/dev/null | awk -v lib="$(basename "$a")" '
    $(NF-1) == "U" { n = split($1, p, ":"); print lib "(" p[n-1] ") " $NF }'
done | sort -u >"$tmp/needs"

# Inline calls made by libstdc++ headers, as configured.
while read -r macro syms; do
  if grep -q "^#define $macro 1" "$cxxconfig"; then
    for s in $syms; do echo "c++config.h($macro) $s"; done
  fi
done >>"$tmp/needs" <<'EOF'
_GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT pthread_cond_clockwait
_GLIBCXX_USE_PTHREAD_MUTEX_CLOCKLOCK pthread_mutex_clocklock
_GLIBCXX_USE_PTHREAD_RWLOCK_CLOCKLOCK pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock
EOF
[ -s "$tmp/needs" ] || { echo "check-libstdcxx-symbols: nm found no references at all" >&2; exit 1; }

# Global definitions of everything that takes part in the link.
{
  for f in "$libstdcxx" "$libsupcxx" "$libgcc" "$libgcc_eh" "$crtbegin" "$crtend" \
    "$musl/libc.a" "$musl/crt1.o" "$musl/crti.o" "$musl/crtn.o" "$shimlib"; do
    nm "$f" 2>/dev/null | awk 'NF >= 3 && $(NF-1) ~ /^[ABCDGIRSTVWiu]$/ { print $NF }'
  done
  # defined by the linker itself
  printf '%s\n' _GLOBAL_OFFSET_TABLE_ _DYNAMIC __ehdr_start __executable_start \
    __init_array_start __init_array_end __fini_array_start __fini_array_end \
    __preinit_array_start __preinit_array_end _edata _end __bss_start _etext etext edata end
} | sort -u >"$tmp/defined"

awk '{ print $2 }' "$tmp/needs" | sort -u | comm -23 - "$tmp/defined" >"$tmp/missing"

sed 's/#.*//' "$allow" | awk 'NF { print $1 }' | sort -u >"$tmp/allowed"

# Objects whose code only locale / iostream users pull in.
locale_objs='\((c\+\+locale|locale[a-z_-]*|[a-z0-9_+-]*locale[a-z0-9_-]*|ctype[a-z_]*|[a-z0-9_-]*codecvt[a-z0-9_+-]*|[a-z0-9_-]*shim_facets|[a-z0-9_-]*string-io-inst|complex_io|collate_members|messages_members|monetary_members|numeric_members|time_members|[a-z0-9_-]*ios[a-z0-9_-]*|[a-z0-9_-]*stream[a-z0-9_-]*|basic_file|globals_io|[a-z0-9_-]*filebuf[a-z0-9_-]*)(_cow|_cxx11)?\.o\)$'

status=0
while read -r sym; do
  users=$(awk -v s="$sym" '$2 == s { print $1 }' "$tmp/needs")
  if grep -qxF "$sym" "$tmp/allowed"; then
    others=$(grep -vE "$locale_objs" <<<"$users" || true)
    if [ -n "$others" ]; then
      echo "check-libstdcxx-symbols: $sym is allow-listed but needed outside locale/iostream code by: $(echo "$others" | tr '\n' ' ')" >&2
      status=1
    else
      echo "allowed (locale/iostream only): $sym <- $(echo "$users" | tr '\n' ' ')"
    fi
  else
    echo "check-libstdcxx-symbols: unresolved glibc symbol $sym needed by: $(echo "$users" | tr '\n' ' ')" >&2
    status=1
  fi
done <"$tmp/missing"

# Entries that are no longer needed are reported, not fatal.
comm -23 "$tmp/allowed" "$tmp/missing" | while read -r sym; do
  echo "note: $sym in $(basename "$allow") is not needed (any more)"
done

if [ $status != 0 ]; then
  echo "check-libstdcxx-symbols: FAILED: implement the symbols in toolchain/shims/glibc_shims.c" >&2
  exit 1
fi
echo "check-libstdcxx-symbols: OK: $(awk '{print $2}' "$tmp/needs" | sort -u | wc -l) symbols needed by $(basename "$libstdcxx"), $(basename "$libsupcxx"), $(basename "$libgcc"), $(basename "$libgcc_eh") and c++config.h are all provided"
