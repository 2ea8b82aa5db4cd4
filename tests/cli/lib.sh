# Shared helpers for CLI tests. Source it: . "$(dirname "$0")/../lib.sh"
set -euo pipefail
: "${OVFKIT:?OVFKIT must name the ovfkit binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ovfkit-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }

# expect_rc N CMD...: runs CMD, fails unless it exits with N. Output in $T/out, $T/err.
expect_rc() {
  local want=$1; shift
  set +e; "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == "$want" ]] || { cat "$T/out" "$T/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
