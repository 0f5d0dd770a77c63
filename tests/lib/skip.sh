# shellcheck shell=bash
# Sourced by the test scripts: what a test does when something it needs is
# missing. Under CI (CI set to anything but "", 0 or false, as .ci/run does)
# every tool is required and a missing one fails the test; elsewhere the test
# is reported skipped through CTest's SKIP_RETURN_CODE (77), never passed.

KDK_SKIP_CODE=77

kdk_under_ci() {
  case ${CI:-} in
    "" | 0 | false | no) return 1 ;;
    *) return 0 ;;
  esac
}

# kdk_skip WHY: fails under CI, else exits with the skip code.
kdk_skip() {
  if kdk_under_ci; then
    echo "FAIL: $* (required when CI is set)"
    exit 1
  fi
  echo "SKIPPED: $*"
  exit "$KDK_SKIP_CODE"
}

# kdk_need_tools TOOL...: every TOOL is on PATH (or an executable path).
kdk_need_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || kdk_skip "missing tools: ${missing[*]} (scripts/install-deps.sh installs them)"
}

# kdk_need_root: loop devices, mounts and network namespaces need root.
kdk_need_root() {
  [ "$(id -u)" = 0 ] || kdk_skip "needs root"
}
