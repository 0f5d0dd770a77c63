#!/usr/bin/env bash
# run-oracle.sh UNIT_TESTS [CATCH2 ARGS...]: the `oracle` CTest entry. Gets
# the fixture vmcores from qemu/fixtures.sh (instant when cached; the CTest
# fixture fixtures_generate makes them first) and runs UNIT_TESTS "[oracle]"
# with:
#   KDK_FIXTURE_VMCORE       the idle fixture (raw ELF vmcore, 1 GiB guest)
#   KDK_FIXTURE_BUSY_VMCORE  the busy fixture (every dump level has pages)
#   KDK_FIXTURE_DIR          a directory with idle.vmcore, busy.vmcore and
#                            idle.mdf/, busy.mdf/ (makedumpfile's view: see
#                            tests/oracle/mdf-classes.sh)
#   KDK_ORACLE_DIR           tests/oracle (kdump_pfns.py, compare_pages.py, ...)
#   KDK_GUEST_MODULES_DIR    the fixtures' kernel's modules (a real modules.dep)
# Extra arguments are Catch2 options (-s, --durations yes, ...); to run a
# subset, set KDK_ORACLE_SPEC (default "[oracle]"; "[dump][oracle]" means
# both tags). No test case tagged [oracle] is not a failure (Catch2 2 then
# exits 0).
set -euo pipefail
[ $# -ge 1 ] || {
  echo "usage: $0 UNIT_TESTS [CATCH2 ARGS...]" >&2
  exit 2
}
unit=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/skip.sh"
kdk_need_tools makedumpfile python3
/usr/bin/python3 -c 'import kdumpfile' 2>/dev/null || kdk_skip "python3-libkdumpfile is not installed (Debian's /usr/bin/python3 cannot import kdumpfile)"
mapfile -t paths < <("$here/../../qemu/fixtures.sh" idle busy)
[ ${#paths[@]} -eq 2 ] && [ -f "${paths[0]}" ] && [ -f "${paths[1]}" ] || {
  echo "run-oracle: qemu/fixtures.sh idle busy gave no fixtures" >&2
  exit 1
}
# A directory of this run's own: the cache's current/ may be repointed by a
# concurrent run of another checkout.
dir=$(mktemp -d "${TMPDIR:-/tmp}/kdk-fixtures.XXXX")
trap 'rm -rf "$dir"' EXIT
for p in "${paths[@]}"; do
  n=$(basename "$p" .vmcore)
  ln -s "$p" "$dir/$n.vmcore"
  ln -s "${p%.vmcore}.mdf" "$dir/$n.mdf"
done
export KDK_FIXTURE_VMCORE=${paths[0]} KDK_FIXTURE_BUSY_VMCORE=${paths[1]} KDK_FIXTURE_DIR=$dir
export KDK_ORACLE_DIR=$here
. "$here/../../qemu/lib.sh"
kdk_fetch_guest >/dev/null
export KDK_GUEST_MODULES_DIR=$KDK_MODULES_DIR
echo "run-oracle: KDK_FIXTURE_VMCORE=$KDK_FIXTURE_VMCORE"
echo "run-oracle: KDK_FIXTURE_BUSY_VMCORE=$KDK_FIXTURE_BUSY_VMCORE"
echo "run-oracle: KDK_FIXTURE_DIR=$KDK_FIXTURE_DIR"
rc=0
"$unit" "${KDK_ORACLE_SPEC:-[oracle]}" "$@" || rc=$?
exit $rc
