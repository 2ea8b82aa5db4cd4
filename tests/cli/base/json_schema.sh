#!/usr/bin/env bash
# Every --json document, success or failure, is an object that names its
# schema version; an appliance command given a disk image says so.
. "$(dirname "$0")/../lib.sh"
need python3
tiny=$OVFKIT_SOURCE_DIR/examples/tiny

has_schema() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict) and d["schema"] == "ovfkit/1", d' "$T/out" || fail "$*: no schema: $(cat "$T/out")"
}
run_json() { local rc=$1; shift; expect_rc "$rc" "$@"; has_schema "$@"; }

run_json 0 "$OVFKIT" version --json
run_json 0 "$OVFKIT" info --json "$tiny/tiny.ovf"
run_json 0 "$OVFKIT" validate --json "$tiny/tiny.ovf"
run_json 0 "$OVFKIT" disk info --json "$tiny/tiny.vmdk"
run_json 0 "$OVFKIT" disk check --json "$tiny/tiny.vmdk"
run_json 0 "$OVFKIT" disk map --json "$tiny/tiny.vmdk"
run_json 0 "$OVFKIT" disk compare --json "$tiny/tiny.vmdk" "$tiny/tiny.vmdk"
run_json 0 "$OVFKIT" disk convert --json "$tiny/tiny.vmdk" "$T/t.qcow2"
# Failures too.
run_json 3 "$OVFKIT" info --json "$T/absent.ovf"
run_json 3 "$OVFKIT" disk info --json "$T/absent.vmdk"
run_json 4 "$OVFKIT" disk convert --json "$tiny/tiny.vmdk" "$T/t.qcow2"

# A disk image named where an appliance is expected: exit 2 and a pointer.
for cmd in info validate; do
  expect_rc 2 "$OVFKIT" "$cmd" "$tiny/tiny.vmdk"
  grep -q "is a vmdk-stream disk image, not an OVF descriptor.*ovfkit disk info" "$T/err" \
    || fail "$cmd of a disk: $(cat "$T/out" "$T/err")"
  run_json 2 "$OVFKIT" "$cmd" --json "$tiny/tiny.vmdk"
done
# Large disks are never read as descriptors either (sparse, so it costs nothing).
expect_rc 0 "$OVFKIT" disk convert -q "$tiny/tiny.vmdk" "$T/big.qcow2"
qemu-img resize -q -f qcow2 "$T/big.qcow2" 2G 2>/dev/null || true
expect_rc 2 "$OVFKIT" info "$T/big.qcow2"
grep -q "qcow2 disk image" "$T/err" || fail "qcow2: $(cat "$T/err")"
echo "ok"
