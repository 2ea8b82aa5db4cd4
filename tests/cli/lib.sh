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

# boot_bus PLAN.json: the boot-with-cd bus of the boot disk of the one VM in
# a plan (`convert ... --to ovf --dry-run --json`), from its controller model.
boot_bus() {
  python3 - "$1" <<'PY'
import json, sys
(vm,) = json.load(open(sys.argv[1]))["vms"]
c = {x["id"]: x for x in vm["controllers"]}
(boot,) = [d for d in vm["disks"] if d["boot"]]
print({"lsilogic": "lsi", "pvscsi": "pvscsi", "ahci": "sata", "piix4": "ide", "virtio-scsi": "scsi",
       "virtio-blk": "virtio"}[c[boot["controller"]]["model"]])
PY
}
