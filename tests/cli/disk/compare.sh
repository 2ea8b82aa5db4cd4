#!/usr/bin/env bash
# `ovfkit disk compare`: exit 0 when a guest sees the same bytes, 1 with the
# first differing offset; sizes that differ compare the rest against zeros.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

truncate -s 8M "$T/a.raw"
head -c 1048576 /dev/urandom | dd of="$T/a.raw" bs=1M seek=2 conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 "$T/a.raw" "$T/a.qcow2"
qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized "$T/a.raw" "$T/a.vmdk"

expect_rc 0 "$OVFKIT" disk compare -f raw "$T/a.raw" "$T/a.qcow2"
grep -qx "Images are identical." "$T/out" || fail "$(cat "$T/out")"
expect_rc 0 "$OVFKIT" disk compare "$T/a.qcow2" "$T/a.vmdk"
expect_rc 0 "$OVFKIT" disk compare -q "$T/a.vmdk" -F raw "$T/a.raw"
[[ ! -s $T/out ]] || fail "-q printed: $(cat "$T/out")"

# One byte changed at a known offset.
cp "$T/a.raw" "$T/b.raw"
printf '\x5a' | dd of="$T/b.raw" bs=1 seek=3000001 conv=notrunc status=none
expect_rc 1 "$OVFKIT" disk compare -f raw -F raw "$T/a.raw" "$T/b.raw"
grep -qx "Content mismatch at offset 3000001!" "$T/out" || fail "$(cat "$T/out")"
expect_rc 1 "$OVFKIT" disk compare --json "$T/a.qcow2" -F raw "$T/b.raw"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False and d["first_difference"] == 3000001, d
assert d["format_a"] == "qcow2" and d["format_b"] == "raw"' "$T/out" || fail "compare --json"
# A change inside a range that is unallocated in the other image.
cp "$T/a.raw" "$T/c.raw"
printf '\x01' | dd of="$T/c.raw" bs=1 seek=7000000 conv=notrunc status=none
expect_rc 1 "$OVFKIT" disk compare "$T/a.qcow2" -F raw "$T/c.raw"
grep -qx "Content mismatch at offset 7000000!" "$T/out" || fail "$(cat "$T/out")"

# Different sizes: identical when the extra bytes are zeros (said on stdout);
# --strict makes the size a difference.
cp "$T/a.raw" "$T/long.raw"; truncate -s 9M "$T/long.raw"
expect_rc 0 "$OVFKIT" disk compare -f raw -F raw "$T/a.raw" "$T/long.raw"
grep -q "^Warning: image sizes differ: 8388608 bytes and 9437184 bytes" "$T/out" || fail "$(cat "$T/out")"
grep -qx "Images are identical." "$T/out" || fail "$(cat "$T/out")"
expect_rc 1 "$OVFKIT" disk compare --strict -f raw -F raw "$T/a.raw" "$T/long.raw"
grep -q "first difference at offset 8388608" "$T/out" || fail "$(cat "$T/out")"
printf '\x07' | dd of="$T/long.raw" bs=1 seek=$((9 * 1048576 - 1)) conv=notrunc status=none
expect_rc 1 "$OVFKIT" disk compare -f raw -F raw "$T/long.raw" "$T/a.raw"
grep -qx "Content mismatch at offset 9437183!" "$T/out" || fail "$(cat "$T/out")"

# Errors keep their own exit codes.
expect_rc 3 "$OVFKIT" disk compare "$T/a.qcow2" "$T/missing.qcow2"
expect_rc 1 "$OVFKIT" disk compare "$T/a.qcow2" "$T/a.raw"   # raw is not guessed
expect_rc 2 "$OVFKIT" disk compare "$T/a.qcow2"
echo "ok"
