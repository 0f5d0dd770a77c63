#!/usr/bin/env bash
# run.sh [KDUMPKIT]: the opt-in debuginfo group. Reads kdumpkit's dumps of the
# fixture vmcores with real debuggers and the Debian kernel's full DWARF.
# Exits 0 when every check passes; otherwise prints each failure and exits 1
# (2 for a missing tool or input).
#
# Not in the default suite: it needs the -dbg vmlinux, an 858 MB download
# (tests/debuginfo/fetch-dbg.sh, cached in $KDUMPKIT_CACHE/debuginfo/), and
# Debian's python3-drgn and crash (tests/debuginfo/packages.txt:
# `scripts/install-deps.sh tests/debuginfo/packages.txt`).
#
# For each fixture (qemu/fixtures.sh; default "idle busy", override with
# KDUMPKIT_DEBUGINFO_FIXTURES) it writes with KDUMPKIT (default build/kdumpkit)
#   zstd.kdump  `dump -d 31 -c zstd`    lzo.kdump  `dump -d 31 -c lzo`
#   d31.elf     `dump -d 31 --format elf`
#   d31.flat    `dump -d 31 --format flat` (crash reads it as it is; drgn in
#               bookworm does not, so drgn gets `makedumpfile -R` of it)
# and checks, against the same tool on the raw vmcore (crash: all but lzo):
#   drgn (drgn_view.py)  the same task list (pid, comm), including pid 1 and
#        the crashed thread; the same crashed thread and stack, which goes
#        through sysrq_handle_crash, __handle_sysrq and write_sysrq_trigger
#   crash `sys`, `bt` and `log`: output identical to the raw vmcore's but for
#        sys's DUMPFILE line; bt shows sysrq_handle_crash and
#        write_sysrq_trigger, log has "sysrq: Trigger a crash", sys's PANIC
#        line "sysrq triggered crash". (bookworm's crash 8.0.2 sees only the
#        running tasks of this kernel, "active task ... not found in PID
#        hash": its struct pid ends in a flexible array numbers[], which
#        that crash does not expect. So no `ps` here; drgn checks the tasks.)
# A fixture whose VMCOREINFO BUILD-ID is not the vmlinux's fails unread.
#
# KDUMPKIT_DEBUGINFO_TIMEOUT  limit of one crash or drgn run, s (default 300)
# KDUMPKIT_DEBUGINFO_JOBS     crash runs at a time (default: CPUs online)
# KDUMPKIT_KEEP=1             keep the work dir (dumps and tool outputs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kdumpkit=${1:-$root/build/kdumpkit}
read -r -a fixtures <<<"${KDUMPKIT_DEBUGINFO_FIXTURES:-idle busy}"
limit=${KDUMPKIT_DEBUGINFO_TIMEOUT:-300}
jobs=${KDUMPKIT_DEBUGINFO_JOBS:-$(nproc)}
# Debian's drgn and libkdumpfile are built for the system interpreter, which
# a pyenv or venv python3 on PATH hides.
py=/usr/bin/python3

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
failures=()
fail() {
  failures+=("$*")
  printf 'FAIL: %s\n' "$*" >&2
}
need() {
  printf 'debuginfo: %s\n' "$*" >&2
  exit 2
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ -x "$kdumpkit" ] || need "no kdumpkit binary at $kdumpkit"
command -v crash >/dev/null || need "crash is not installed (scripts/install-deps.sh tests/debuginfo/packages.txt)"
command -v makedumpfile >/dev/null || need "makedumpfile is not installed (scripts/install-deps.sh tests/debuginfo/packages.txt)"
command -v readelf >/dev/null || need "readelf is not installed (binutils)"
"$py" -c 'import drgn' 2>/dev/null ||
  need "$py cannot import drgn (scripts/install-deps.sh tests/debuginfo/packages.txt installs python3-drgn)"
"$py" -c 'import drgn, sys; sys.exit(0 if drgn._with_libkdumpfile else 1)' ||
  need "this drgn was built without libkdumpfile: it cannot read kdump-compressed files"

say "fixtures: ${fixtures[*]}"
mapfile -t vmcores < <("$root/qemu/fixtures.sh" "${fixtures[@]}")
[ ${#vmcores[@]} -eq ${#fixtures[@]} ] || need "qemu/fixtures.sh ${fixtures[*]} gave ${#vmcores[@]} paths"

# One kernel for all fixtures (fetch-dbg.sh takes its package and version).
kernels=$(for v in "${vmcores[@]}"; do awk '$1 == "kernel" { print $2, $3 }' "${v%.vmcore}.inputs"; done | sort -u)
[ "$(printf '%s\n' "$kernels" | grep -c .)" -eq 1 ] ||
  need "the fixtures do not name one kernel: $(echo "$kernels" | tr '\n' ';')"
read -r kpkg kver <<<"$kernels"
say "debug vmlinux of $kpkg $kver"
t=$(now)
vmlinux=$("$here/fetch-dbg.sh" "$kpkg" "$kver") || need "fetch-dbg.sh $kpkg $kver failed"
note "$vmlinux ($(($(stat -c %s "$vmlinux") / 1000000)) MB, $(since "$t") s)"
vmlinux_id=$(readelf -n "$vmlinux" | awk '/Build ID:/ { print $3; exit }')

work=$(mktemp -d "${KDUMPKIT_WORK:-${TMPDIR:-/tmp}}/kdk-debuginfo.XXXX")
if [ "${KDUMPKIT_KEEP:-0}" = 1 ]; then
  note "work dir: $work (kept)"
else
  trap 'rm -rf "$work"' EXIT
fi

# crash's commands; `sys` first so that its PANIC line sits above the long log.
printf '%s\n' sys bt log exit >"$work/crash.cmds"

# run_crash DUMP OUT: crash's output of crash.cmds on DUMP, its status in OUT.rc.
run_crash() {
  local rc=0 t
  t=$(now)
  timeout "$limit" crash -s "$vmlinux" "$1" -i "$work/crash.cmds" </dev/null >"$2" 2>&1 || rc=$?
  echo "$rc $(since "$t")" >"$2.rc"
}

# crash_section OUT CMD: the part of OUT that command CMD printed. crash -s
# -i prints no prompts, so the sections are cut at what each command starts
# with: sys at "      KERNEL:", bt at "PID:", log at "[".
crash_sections() {
  awk -v want="$2" '
    state == "" && /^ +KERNEL: / { state = "sys" }
    state == "sys" && /^PID: / { state = "bt" }
    state == "bt" && /^\[ *[0-9]+\.[0-9]+\] / { state = "log" }
    state == want { print }
  ' "$1"
}

# check_crash LABEL OUT REF: crash on one of our dumps (OUT) against crash
# on the raw vmcore (REF).
check_crash() {
  local label=$1 out=$2 ref=$3 rc secs
  read -r rc secs <"$out.rc"
  if [ "$rc" != 0 ]; then
    fail "$label: crash exited $rc after $secs s$([ "$rc" = 124 ] && echo " (timeout $limit s)"): $(grep -m3 -iE 'error|fail|cannot|invalid' "$out" | tr '\n' ' ')"
    return
  fi
  local bt log sys
  bt=$(crash_sections "$out" bt)
  log=$(crash_sections "$out" log)
  sys=$(crash_sections "$out" sys)
  local f
  for f in sysrq_handle_crash write_sysrq_trigger; do
    grep -q " $f" <<<"$bt" || fail "$label: crash bt has no $f frame"
  done
  grep -q 'sysrq: Trigger a crash' <<<"$log" || fail "$label: crash log has no \"sysrq: Trigger a crash\""
  grep -q 'PANIC: .*sysrq triggered crash' <<<"$sys" || fail "$label: crash sys has no PANIC: \"... sysrq triggered crash\""
  # All but sys's DUMPFILE line (the file's name, and "[PARTIAL DUMP]" for
  # the filtered kdump formats) must be what crash prints for the raw vmcore.
  if [ "$out" != "$ref" ] && ! cmp -s <(grep -v '^ *DUMPFILE: ' "$out") <(grep -v '^ *DUMPFILE: ' "$ref"); then
    fail "$label: crash's output differs from the raw vmcore's: $(diff <(grep -v '^ *DUMPFILE: ' "$ref") <(grep -v '^ *DUMPFILE: ' "$out") | head -n 6 | tr '\n' '|')"
  fi
  note "$label: crash ok ($secs s; bt $(grep -c '^ *#' <<<"$bt") frames, log $(grep -c . <<<"$log") lines)"
}

# check_drgn LABEL OUT REF
check_drgn() {
  local label=$1 out=$2 ref=$3 f crashed
  grep -q '^task 1 ' "$out" || fail "$label: drgn lists no pid 1"
  crashed=$(awk '$1 == "crashed" { print $2; exit }' "$out")
  [ -n "$crashed" ] || fail "$label: drgn found no crashed thread"
  [ -z "$crashed" ] || grep -q "^task $crashed " "$out" ||
    fail "$label: the crashed thread $crashed is not in drgn's task list"
  for f in sysrq_handle_crash __handle_sysrq write_sysrq_trigger; do
    grep -qx "frame $f" "$out" || fail "$label: drgn's crashed stack has no $f"
  done
  if [ "$out" != "$ref" ]; then
    cmp -s <(grep '^task ' "$out") <(grep '^task ' "$ref") ||
      fail "$label: drgn's task list differs from the raw vmcore's: $(diff <(grep '^task ' "$ref") <(grep '^task ' "$out") | head -n 6 | tr '\n' '|')"
    cmp -s <(grep -v '^task ' "$out") <(grep -v '^task ' "$ref") ||
      fail "$label: drgn's crashed thread differs from the raw vmcore's: $(diff <(grep -v '^task ' "$ref") <(grep -v '^task ' "$out") | head -n 6 | tr '\n' '|')"
  fi
}

for i in "${!fixtures[@]}"; do
  name=${fixtures[$i]} vmcore=${vmcores[$i]}
  dir=$work/$name
  mkdir -p "$dir"
  say "$name: $vmcore"
  core_id=$(head -c 1048576 "$vmcore" | tr -c '[:print:]' '\n' | sed -n 's/^BUILD-ID=//p' | awk 'NR == 1')
  if [ -n "$core_id" ] && [ "$core_id" != "$vmlinux_id" ]; then
    fail "$name: the vmcore's BUILD-ID $core_id is not the vmlinux's $vmlinux_id"
    continue
  fi
  note "build id $vmlinux_id ${core_id:+(matches VMCOREINFO)}"

  declare -A dumps=(
    [zstd.kdump]="-c zstd" [lzo.kdump]="-c lzo" [d31.elf]="--format elf" [d31.flat]="--format flat"
  )
  ok=1
  for out in zstd.kdump lzo.kdump d31.elf d31.flat; do
    t=$(now)
    # shellcheck disable=SC2086  # the options are words
    if ! "$kdumpkit" dump -q -d 31 ${dumps[$out]} "$vmcore" "$dir/$out" 2>"$dir/$out.err"; then
      fail "$name: kdumpkit dump -d 31 ${dumps[$out]} failed: $(tail -n3 "$dir/$out.err" | tr '\n' ' ')"
      ok=0
      continue
    fi
    note "$out: $(($(stat -c %s "$dir/$out") / 1000)) kB in $(since "$t") s"
  done
  [ $ok = 1 ] || continue
  # bookworm's drgn (libkdumpfile 0.5.1) does not read the flattened format.
  makedumpfile -R "$dir/flat.rearranged" <"$dir/d31.flat" >"$dir/rearrange.log" 2>&1 ||
    fail "$name: makedumpfile -R of our flattened stream failed: $(tail -n3 "$dir/rearrange.log" | tr '\n' ' ')"
  if cmp -s "$dir/flat.rearranged" "$dir/zstd.kdump"; then
    note "makedumpfile -R of d31.flat is byte-identical to zstd.kdump"
  else
    note "makedumpfile -R of d31.flat differs from zstd.kdump (drgn checks it anyway)"
  fi

  # drgn: quick (~1-2 s a file), one at a time.
  for in in raw zstd.kdump lzo.kdump d31.elf flat.rearranged; do
    src=$dir/$in
    [ "$in" = raw ] && src=$vmcore
    t=$(now)
    if ! timeout "$limit" "$py" "$here/drgn_view.py" "$src" "$vmlinux" >"$dir/$in.drgn" 2>"$dir/$in.drgn.err"; then
      fail "$name/$in: drgn failed: $(tail -n3 "$dir/$in.drgn.err" | tr '\n' ' ')"
      continue
    fi
    [ "$in" = raw ] || [ -s "$dir/raw.drgn" ] || continue
    check_drgn "$name/$in" "$dir/$in.drgn" "$dir/raw.drgn"
    note "$name/$in: drgn ok ($(since "$t") s; $(awk '$1 == "tasks" { print $2 }' "$dir/$in.drgn") tasks, crashed $(awk '$1 == "crashed" { print $2, $3 }' "$dir/$in.drgn"), $(grep -c '^frame ' "$dir/$in.drgn") frames)"
  done
  if [ -s "$dir/raw.drgn" ]; then
    note "drgn's crashed stack (raw vmcore):"
    sed 's/^/      /' "$dir/raw.drgn.err"
  fi

  # crash: ~20 s a file on an idle machine (its gdb reads the 630 MB of
  # DWARF), $jobs at a time; not lzo.kdump (drgn reads that one).
  crash_inputs=(raw zstd.kdump d31.elf d31.flat)
  t=$(now)
  for in in "${crash_inputs[@]}"; do
    src=$dir/$in
    [ "$in" = raw ] && src=$vmcore
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_crash "$src" "$dir/$in.crash" &
  done
  wait
  note "crash runs: $(since "$t") s"
  for in in "${crash_inputs[@]}"; do
    check_crash "$name/$in" "$dir/$in.crash" "$dir/raw.crash"
  done
  if [ -s "$dir/raw.crash" ]; then
    note "crash bt (zstd.kdump), head:"
    crash_sections "$dir/zstd.kdump.crash" bt | head -n 8 | sed 's/^/      /'
  fi
done

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "debuginfo: ${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "debuginfo: all checks passed (${fixtures[*]})"
