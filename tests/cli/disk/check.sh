#!/usr/bin/env bash
# `ovfkit disk check`: exit 0 on a clean image, 1 with each problem located
# (file and byte offset) on a damaged one; --json gives {clean, findings}.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

truncate -s 4M "$T/src.raw"
head -c 500000 /dev/urandom | dd of="$T/src.raw" conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 -o compat=1.1 "$T/src.raw" "$T/ok.qcow2"
expect_rc 0 "$OVFKIT" disk check "$T/ok.qcow2"
grep -qx "No errors were found on the image." "$T/out" || fail "$(cat "$T/out")"
expect_rc 0 "$OVFKIT" disk check --json "$T/ok.qcow2"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is True and d["findings"] == [] and d["format"] == "qcow2", d' "$T/out" \
  || fail "clean --json"

# Point the refcount table entry 0 (at the refcount table offset) past the end.
rt=$(python3 -c '
import struct, sys
h = open(sys.argv[1], "rb").read(72)
print(struct.unpack(">Q", h[48:56])[0])' "$T/ok.qcow2")
cp "$T/ok.qcow2" "$T/bad.qcow2"
printf '\x00\x00\x00\x00\x40\x00\x00\x00' | dd of="$T/bad.qcow2" bs=1 seek="$rt" conv=notrunc status=none
expect_rc 1 "$OVFKIT" disk check "$T/bad.qcow2"
grep -q "^$T/bad.qcow2: error: refcount table entry 0 at 0x40000000 lies beyond the end of the file \[QCOW2-BOUNDS\]$" "$T/out" \
  || fail "located finding: $(cat "$T/out")"
grep -q "errors and .* warnings were found on the image." "$T/out" || fail "$(cat "$T/out")"
expect_rc 1 "$OVFKIT" disk check --json "$T/bad.qcow2"
python3 - "$T/out" "$T/bad.qcow2" <<'PY' || fail "check --json of a damaged image"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is False and d["errors"] >= 1
f = d["findings"][0]
assert f["severity"] == "error" and f["code"] == "QCOW2-BOUNDS" and f["file"] == sys.argv[2], f
assert "0x40000000" in f["message"], f
PY
# -q keeps the errors, drops the summary.
expect_rc 1 "$OVFKIT" disk check -q "$T/bad.qcow2"
grep -q "QCOW2-BOUNDS" "$T/out" || fail "-q dropped the errors"
grep -q "were found" "$T/out" && fail "-q printed the summary"

# An image too damaged to open is a finding too, with the offset.
cp "$T/ok.qcow2" "$T/v9.qcow2"
python3 - "$T/v9.qcow2" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
struct.pack_into(">I", b, 4, 9)        # version 9
open(p, "wb").write(b)
PY
expect_rc 1 "$OVFKIT" disk check --json "$T/v9.qcow2"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is False and d["findings"][0]["code"] == "DISK-OPEN", d
assert "offset" in d["findings"][0]["message"], d' "$T/out" || fail "unopenable image: $(cat "$T/out")"

expect_rc 3 "$OVFKIT" disk check "$T/none.qcow2"
echo "ok"
