#!/usr/bin/env bash
# Exit codes of `ovfkit disk`: usage 2, I/O 3, refusals 4, invalid images 1;
# an existing output is refused unless --force; a failed conversion leaves no
# file behind, temporary or not.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

truncate -s 4M "$T/src.raw"
head -c 200000 /dev/urandom | dd of="$T/src.raw" conv=notrunc status=none
mkdir "$T/out.d"

# Usage: parse errors and bad option values.
expect_rc 2 "$OVFKIT" disk
expect_rc 2 "$OVFKIT" disk frobnicate
expect_rc 2 "$OVFKIT" disk info
expect_rc 2 "$OVFKIT" disk info --no-such-option "$T/src.raw"
expect_rc 2 "$OVFKIT" disk convert -f raw "$T/src.raw" "$T/out.d/x.img"          # no -O
expect_rc 2 "$OVFKIT" disk convert -f raw -O qed "$T/src.raw" "$T/out.d/x.img"
grep -q "unknown disk format 'qed' (known: raw, qcow2" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 "$OVFKIT" disk convert -f raw -O vhd --compress "$T/src.raw" "$T/out.d/x.vhd"
grep -q "disk format 'vhd' has no compression" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 "$OVFKIT" disk convert -f raw -O qcow2 --threads 0 "$T/src.raw" "$T/out.d/x.img"
expect_rc 2 "$OVFKIT" disk convert -f raw -O qcow2 --cluster-size 64Q "$T/src.raw" "$T/out.d/x.img"
expect_rc 2 "$OVFKIT" disk info -f nope "$T/src.raw"
expect_rc 2 "$OVFKIT" disk info --json -f nope "$T/src.raw"
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "usage" and e["exit_code"] == 2, e' "$T/out" || fail "--json usage error"

# I/O: a missing input.
expect_rc 3 "$OVFKIT" disk info "$T/missing.img"
grep -q "missing.img: cannot open: No such file or directory" "$T/err" || fail "$(cat "$T/err")"
expect_rc 3 "$OVFKIT" disk convert -O qcow2 "$T/missing.img" "$T/out.d/x.img"
expect_rc 3 "$OVFKIT" disk map "$T/missing.img"
expect_rc 3 "$OVFKIT" disk check "$T/missing.img"

# Refusals: an existing output, a FIFO, a polyglot.
qemu-img convert -q -f raw -O qcow2 "$T/src.raw" "$T/a.qcow2"
echo keep >"$T/out.d/exists.img"
expect_rc 4 "$OVFKIT" disk convert -O vdi "$T/a.qcow2" "$T/out.d/exists.img"
grep -q "exists.img: already exists; refusing to replace it (use --force)" "$T/err" || fail "$(cat "$T/err")"
[[ $(cat "$T/out.d/exists.img") == keep ]] || fail "the existing output was touched"
expect_rc 0 "$OVFKIT" disk convert -q --force -O vdi "$T/a.qcow2" "$T/out.d/exists.img"
expect_rc 0 "$OVFKIT" disk compare -F raw "$T/out.d/exists.img" "$T/src.raw"
mkfifo "$T/fifo"
expect_rc 4 "$OVFKIT" disk info -f raw "$T/fifo"
python3 - "$T/a.qcow2" "$T/poly.img" <<'PY'
import sys
q = open(sys.argv[1], "rb").read(512)
# A fixed VHD footer at the end and a qcow2 header at the start.
import struct, uuid
size = 2 << 20
footer = bytearray(512)
footer[0:8] = b"conectix"
struct.pack_into(">IIQI4sI4sQQIII", footer, 8, 2, 0x10000, 0xFFFFFFFFFFFFFFFF, 0, b"qemu", 0x10000,
                 b"Wi2k", size, size, (1024 << 16) | (4 << 8) | 17, 2, 0)
footer[68:84] = uuid.uuid4().bytes
s = sum(footer) & 0xFFFFFFFF
struct.pack_into(">I", footer, 64, (~s) & 0xFFFFFFFF)
with open(sys.argv[2], "wb") as f:
    body = bytearray(size)
    body[:512] = q
    f.write(body + footer)
PY
expect_rc 4 "$OVFKIT" disk info "$T/poly.img"
grep -q "ambiguous disk format: the content matches qcow2 (100), vhd-fixed (100)" "$T/err" \
  || fail "polyglot: $(cat "$T/err")"

# Invalid image: an L1 entry pointing past the end (as in a truncated file)
# fails the conversion; nothing is left in the output directory.
l1=$(python3 -c '
import struct, sys
print(struct.unpack(">Q", open(sys.argv[1], "rb").read(48)[40:48])[0])' "$T/a.qcow2")
cp "$T/a.qcow2" "$T/bad.qcow2"
printf '\x80\x00\x00\x00\x40\x00\x00\x00' | dd of="$T/bad.qcow2" bs=1 seek="$l1" conv=notrunc status=none
rm -f "$T/out.d/"*
expect_rc 1 "$OVFKIT" disk convert -O vmdk-flat "$T/bad.qcow2" "$T/out.d/bad.vmdk"
grep -q "L2 table at 0x40000000 lies outside the file" "$T/err" || fail "$(cat "$T/err")"
[[ -z $(ls -A "$T/out.d") ]] || fail "files left behind: $(ls -A "$T/out.d")"
# The writer refusing its options after the output was created.
expect_rc 2 "$OVFKIT" disk convert -O vmdk --cluster-size 128K "$T/a.qcow2" "$T/out.d/g.vmdk"
[[ -z $(ls -A "$T/out.d") ]] || fail "files left behind: $(ls -A "$T/out.d")"
for f in vhd vdi; do
  expect_rc 2 "$OVFKIT" disk convert -O $f --cluster-size 3000 "$T/a.qcow2" "$T/out.d/g.$f"
  [[ -z $(ls -A "$T/out.d") ]] || fail "files left behind: $(ls -A "$T/out.d")"
done
echo "ok"
