#!/usr/bin/env bash
# `disk convert ... --to-device /dev/X` writes raw output onto a block device
# in place: never replaced or truncated, zeros written wherever the disk has
# none (a device is not sparse), refused when the device is smaller than the
# disk, for any output format but raw, and without --to-device. Character
# devices, FIFOs and directories stay refused (exit 4). Tested on a loop
# device over a file full of 0xff bytes; needs root and losetup (skipped
# otherwise).
. "$(dirname "$0")/../lib.sh"
need losetup
need python3
python3 -c 'open("'"$T"'/backing.img", "wb").write(b"\xff" * (8 << 20))'
dev=$(losetup -f --show "$T/backing.img" 2>/dev/null) || skip "cannot attach a loop device here"
[[ -b $dev ]] || skip "losetup gave no block device"
trap 'losetup -d "$dev" 2>/dev/null || true; rm -rf "$T"' EXIT

# A 6 MiB disk with data, holes and a partly written last sector, in qcow2.
python3 - "$T/src.raw" <<'PY'
import os, sys
b = bytearray(6 << 20)
b[0:70000] = os.urandom(70000)
b[3 << 20:(3 << 20) + 4096] = os.urandom(4096)
b[-300:] = os.urandom(300)
open(sys.argv[1], "wb").write(b)
PY
"$OVFKIT" disk convert -q -f raw -O qcow2 "$T/src.raw" "$T/src.qcow2"

# Without --to-device: refused, nothing written.
expect_rc 4 "$OVFKIT" disk convert -f qcow2 -O raw "$T/src.qcow2" "$dev"
grep -q "is a block device; .*-O raw --to-device" "$T/err" || fail "no hint: $(cat "$T/err")"
expect_rc 4 "$OVFKIT" disk convert --force -f qcow2 -O raw "$T/src.qcow2" "$dev"
# Only raw goes onto a device.
expect_rc 2 "$OVFKIT" disk convert --to-device -f qcow2 -O vhdx "$T/src.qcow2" "$dev"
grep -q "writes only raw output" "$T/err" || fail "$(cat "$T/err")"
python3 - "$T/backing.img" <<'PY' || fail "a refused conversion wrote to the device"
import sys
assert open(sys.argv[1], "rb").read() == b"\xff" * (8 << 20)
PY

# Written in place: the disk's bytes, zeros over its holes (where the device
# held 0xff), the rest of the device untouched, the device still a device.
expect_rc 0 "$OVFKIT" disk convert --to-device -f qcow2 -O raw "$T/src.qcow2" "$dev"
[[ -b $dev ]] || fail "the device was replaced"
python3 - "$T/src.raw" "$T/backing.img" <<'PY' || fail "device content"
import sys
src, dev = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert len(dev) == 8 << 20, "the device's backing file changed size"
assert dev[:len(src)] == src, "the disk was not written exactly (holes must be zeros)"
assert dev[len(src):] == b"\xff" * (len(dev) - len(src)), "bytes past the disk were touched"
PY
expect_rc 0 "$OVFKIT" disk compare -f raw -F qcow2 "$T/src.raw" "$T/src.qcow2"

# A device smaller than the disk: refused before anything is written.
python3 -c 'open("'"$T"'/big.raw", "wb").truncate(16 << 20)'
expect_rc 4 "$OVFKIT" disk convert --to-device -f raw -O raw "$T/big.raw" "$dev"
grep -q "the device holds 8388608 bytes, less than the 16777216-byte disk" "$T/err" || fail "$(cat "$T/err")"

# Not block devices: a regular file is a usage error, the rest refusals.
: >"$T/file.raw"
expect_rc 2 "$OVFKIT" disk convert --to-device -f raw -O raw "$T/src.raw" "$T/file.raw"
[[ ! -s "$T/file.raw" ]] || fail "a regular file was written with --to-device"
expect_rc 4 "$OVFKIT" disk convert --to-device -f raw -O raw "$T/src.raw" /dev/null
grep -q "is a character device" "$T/err" || fail "$(cat "$T/err")"
mkfifo "$T/fifo"
expect_rc 4 "$OVFKIT" disk convert --to-device -f raw -O raw "$T/src.raw" "$T/fifo"
mkdir "$T/dir"
expect_rc 4 "$OVFKIT" disk convert --to-device -f raw -O raw "$T/src.raw" "$T/dir"
echo ok
