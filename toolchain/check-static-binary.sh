#!/usr/bin/env bash
# Usage: toolchain/check-static-binary.sh BINARY
#
# Fails unless BINARY is a fully static executable with no trace of glibc:
#   - file(1) reports it statically linked,
#   - it has no program interpreter (no PT_INTERP / INTERP segment),
#   - no string in it contains "GLIBC" (no glibc symbol versions),
#   - if it still has a symbol table: it does not contain libstdc++'s
#     locale machinery (std::locale / std::ctype / iostream init). Debian's
#     libstdc++ reads glibc's private locale structures there, which under
#     musl crashes (e.g. std::ctype<char>::is). Set KDK_ALLOW_LOCALE=1 to
#     turn this last check into a warning.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
bin=$1
fail=0
bad() {
  echo "check-static-binary: $bin: $*" >&2
  fail=1
}

[ -f "$bin" ] || { echo "check-static-binary: $bin: no such file" >&2; exit 1; }

desc=$(file -b "$bin")
case $desc in
  ELF*executable*) ;;
  *) bad "not an ELF executable: $desc" ;;
esac
case $desc in
  *"statically linked"*) ;;
  *) bad "file(1) does not say 'statically linked': $desc" ;;
esac

# (whole output first: grep -q under pipefail could hide a match via SIGPIPE)
phdrs=$(readelf -lW "$bin")
if grep -q 'INTERP' <<<"$phdrs"; then
  bad "has a program interpreter: $(grep -o 'Requesting program interpreter: [^]]*' <<<"$phdrs")"
fi
dyn=$(readelf -dW "$bin" 2>/dev/null || true)
if grep -q 'NEEDED' <<<"$dyn"; then
  bad "has DT_NEEDED entries"
fi

# grep -c prints 0 and exits 1 when nothing matches: that is the good case.
glibc=$(strings -a "$bin" | grep -c GLIBC || true)
if [ "$glibc" != 0 ]; then
  bad "$glibc strings mention GLIBC, e.g.: $(strings -a "$bin" | grep GLIBC | sort -u | head -n 5 | tr '\n' ' ')"
fi

syms=$(nm "$bin" 2>/dev/null || true)
if [ -z "$syms" ]; then
  echo "check-static-binary: $bin: stripped, locale check skipped"
else
  # std::locale, std::ctype<...>, std::ios_base::Init
  locale=$(printf '%s\n' "$syms" | awk '{print $NF}' |
    grep -E '^_ZNSt6locale|^_ZNSt5ctypeI|^_ZNSt8ios_base4Init' | head -n 3 || true)
  if [ -n "$locale" ]; then
    msg="links libstdc++ locale/iostream code (unsafe with musl): $(echo "$locale" | tr '\n' ' ')"
    if [ "${KDK_ALLOW_LOCALE:-0}" = 1 ]; then
      echo "check-static-binary: $bin: warning: $msg" >&2
    else
      bad "$msg; find the user with: nm -C $bin | grep -E 'std::locale|ios_base::Init'"
    fi
  fi
fi

if [ $fail != 0 ]; then
  exit 1
fi
echo "check-static-binary: $bin: static, no interpreter, no GLIBC strings ($(stat -c %s "$bin") bytes)"
