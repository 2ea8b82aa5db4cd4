#!/usr/bin/env bash
# Truncated images (an interrupted download or copy): `disk info`, `convert`,
# `compare` and `check` fail with exit 1 and say what is missing and where,
# for every format; qemu-img refuses the same files. `convert --salvage`
# writes what is there, zeros for the rest, lists the missing ranges and
# still exits 1.
. "$(dirname "$0")/../lib.sh"
need python3

# 6 MiB of guest data with the last MiB written, so every format's last
# block or grain holds data.
head -c 6291456 /dev/urandom >"$T/src.raw"

# cut FILE BYTES: removes BYTES from the end of FILE.
cut_tail() { truncate -s "-$2" "$1"; }

for fmt in qcow2 vhd vhd-fixed vhdx vhdx-fixed vdi vdi-fixed vmdk vmdk-stream; do
  # 1 MiB VHDX blocks: the last block ends where the disk does (bytes of a
  # last block past the virtual size are not needed, so cutting them is not
  # a truncation).
  cs=(); [[ $fmt == vhdx* ]] && cs=(--cluster-size 1M)
  "$OVFKIT" disk convert -q -f raw -O "$fmt" "${cs[@]}" "$T/src.raw" "$T/whole.$fmt"
  expect_rc 0 "$OVFKIT" disk check -f "$fmt" "$T/whole.$fmt"
  for drop in 1 512 65536 1048576; do
    cp "$T/whole.$fmt" "$T/cut.$fmt"
    cut_tail "$T/cut.$fmt" "$drop"
    expect_rc 1 "$OVFKIT" disk info -f "$fmt" "$T/cut.$fmt"
    grep -qE "truncated|end of (the )?file|outside the|too small|no VHD footer" "$T/err" \
      || fail "$fmt minus $drop: info: $(cat "$T/err")"
    grep -qE "[0-9]{3,}" "$T/err" || fail "$fmt minus $drop: no offset: $(cat "$T/err")"
    [[ $(wc -l <"$T/err") == 1 ]] || fail "$fmt minus $drop: not one line: $(cat "$T/err")"
    expect_rc 1 "$OVFKIT" disk convert -f "$fmt" -O raw "$T/cut.$fmt" "$T/out.raw"
    [[ ! -e "$T/out.raw" ]] || fail "$fmt minus $drop: an output was left"
    expect_rc 1 "$OVFKIT" disk compare -f "$fmt" -F raw "$T/cut.$fmt" "$T/src.raw"
    expect_rc 1 "$OVFKIT" disk check -f "$fmt" --json "$T/cut.$fmt"
    python3 - "$T/out" <<'PY' || fail "$fmt minus $drop: check --json: $(head -c 2000 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is False and d["errors"] >= 1, d
assert any(f["severity"] == "error" and f["code"] in ("DISK-OPEN", "DISK-TRUNCATED")
           for f in d["findings"]), d
PY
  done
done

# vmdk-flat: the descriptor promises the extent's size; a short extent file
# is refused.
"$OVFKIT" disk convert -q -f raw -O vmdk-flat "$T/src.raw" "$T/flat.vmdk"
expect_rc 0 "$OVFKIT" disk check -f vmdk-flat "$T/flat.vmdk"
cut_tail "$T/flat-flat.vmdk" 1
expect_rc 1 "$OVFKIT" disk convert -f vmdk-flat -O raw "$T/flat.vmdk" "$T/out.raw"
grep -q "is 6291455 bytes, shorter than the 6291456 bytes the extent needs" "$T/err" \
  || fail "vmdk-flat: $(cat "$T/err")"
[[ ! -e "$T/out.raw" ]] || fail "vmdk-flat: an output was left"

# The cases that converted silently before: a VHDX whose last payload block
# runs past the end (dynamic and fixed), a streamOptimized VMDK cut at a
# grain boundary or without its footer and end-of-stream marker.
for fmt in vhdx vhdx-fixed; do
  cp "$T/whole.$fmt" "$T/cut.$fmt"
  cut_tail "$T/cut.$fmt" 524288
  expect_rc 1 "$OVFKIT" disk convert -f "$fmt" -O qcow2 "$T/cut.$fmt" "$T/out.qcow2"
  grep -q "payload block 5): the block at file offset [0-9]* needs 1048576 bytes, up to offset [0-9]*, but the file ends at [0-9]*: the image is truncated" "$T/err" \
    || fail "$fmt: $(cat "$T/err")"
  if command -v qemu-img >/dev/null; then
    qemu-img convert -q -f vhdx -O raw "$T/cut.$fmt" "$T/q.raw" 2>/dev/null \
      && fail "$fmt: qemu-img accepts the truncated image; the cross-check is void"
    rm -f "$T/q.raw"
  fi
done
# vmdk-stream: walk the markers and cut just after the last grain (a grain
# boundary: the grain tables, directory, footer and EOS are gone).
python3 - "$T/whole.vmdk-stream" "$T/grain-cut.vmdk" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos, last_end = 512 * struct.unpack("<Q", data[0x40:0x48])[0], None  # overHead
while pos + 512 <= len(data):
    lba, size = struct.unpack("<QI", data[pos:pos + 12])
    if size == 0:
        ntype = struct.unpack("<I", data[pos + 12:pos + 16])[0]
        nsec = struct.unpack("<Q", data[pos:pos + 8])[0]
        if ntype == 0:
            break
        pos += 512 + nsec * 512
        continue
    pos += (12 + size + 511) // 512 * 512
    last_end = pos
open(sys.argv[2], "wb").write(data[:last_end])
PY
expect_rc 1 "$OVFKIT" disk convert -f vmdk-stream -O raw "$T/grain-cut.vmdk" "$T/out.raw"
grep -q "the stream ends at offset [0-9]* without its footer and end-of-stream marker: the image is truncated" "$T/err" \
  || fail "stream cut at a grain boundary: $(cat "$T/err")"
[[ ! -e "$T/out.raw" ]] || fail "an output was left"
expect_rc 1 "$OVFKIT" disk check "$T/grain-cut.vmdk"
grep -q "DISK-TRUNCATED\|DISK-OPEN" "$T/out" || fail "check: $(cat "$T/out")"
if command -v qemu-img >/dev/null; then
  qemu-img convert -q -f vmdk -O raw "$T/grain-cut.vmdk" "$T/q.raw" 2>/dev/null \
    && fail "qemu-img accepts the stream cut at a grain boundary; the cross-check is void"
  rm -f "$T/q.raw"
fi

# --salvage: the VHDX cut in its last block converts; present data kept,
# the listed range reads as zeros; exit 1 all the same.
cp "$T/whole.vhdx" "$T/cut.vhdx"
cut_tail "$T/cut.vhdx" 524288
expect_rc 1 "$OVFKIT" disk convert --salvage --json -f vhdx -O raw "$T/cut.vhdx" "$T/salvaged.raw"
[[ -f "$T/salvaged.raw" ]] || fail "salvage wrote no output"
python3 - "$T/out" "$T/src.raw" "$T/salvaged.raw" <<'PY' || fail "salvage vhdx: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
src, got = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
assert d["complete"] is False, d
m = d["missing"]
assert len(m) == 1 and m[0]["offset"] + m[0]["length"] == len(src), m
# 512 KiB cut from the end of the file: the second half of the last block.
assert m[0]["length"] == 524288, m
assert "payload block 5" in m[0]["what"], m
assert any(w["code"] == "DISK-TRUNCATED" and w["severity"] == "error" for w in d["warnings"]), d
assert len(got) == len(src)
o = m[0]["offset"]
assert got[:o] == src[:o], "present data changed"
assert got[o:] == bytes(len(got) - o), "missing range not zero"
PY
# Text: the range on stderr, also with -q.
rm -f "$T/salvaged.raw"
expect_rc 1 "$OVFKIT" disk convert -q --salvage -f vhdx -O raw "$T/cut.vhdx" "$T/salvaged.raw"
grep -q "^ovfkit: error: guest bytes 5767168 to 6291456 (524288 bytes) are missing and read as zeros: .*\[DISK-TRUNCATED\]$" "$T/err" \
  || fail "salvage text: $(cat "$T/err")"

# --salvage of the stream cut at a grain boundary: every grain that is there
# is kept, everything after the last one is listed.
expect_rc 1 "$OVFKIT" disk convert --salvage --json -f vmdk-stream -O raw "$T/grain-cut.vmdk" "$T/salvaged2.raw"
python3 - "$T/out" "$T/src.raw" "$T/salvaged2.raw" <<'PY' || fail "salvage vmdk-stream: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
src, got = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
m = d["missing"]
assert d["complete"] is False and len(m) == 1, m
o = m[0]["offset"]
assert o + m[0]["length"] == len(src) and o % 65536 == 0, m
assert got[:o] == src[:o] and got[o:] == bytes(len(src) - o)
PY
# --salvage of the formats whose blocks or grains lie past the end: dynamic
# VHD, VDI, hosted sparse VMDK, and a vmdk-flat whose extent file is short.
# Each converts with the present data kept and the listed ranges zero, and
# `disk info --salvage` / `disk compare --salvage` read it the same way.
cp "$T/flat.vmdk" "$T/flatcut.vmdk"; cp "$T/flat-flat.vmdk" "$T/flatcut-flat.vmdk"
sed -i 's/flat-flat.vmdk/flatcut-flat.vmdk/' "$T/flatcut.vmdk"
for fmt in vhd vdi vmdk vmdk-flat; do
  if [[ $fmt == vmdk-flat ]]; then
    in="$T/flatcut.vmdk"; truncate -s -1048576 "$T/flatcut-flat.vmdk"
  else
    in="$T/cut.$fmt"; cp "$T/whole.$fmt" "$in"; cut_tail "$in" 1048576
  fi
  expect_rc 1 "$OVFKIT" disk convert -f "$fmt" -O raw "$in" "$T/out.raw"
  rm -f "$T/s.raw"
  expect_rc 1 "$OVFKIT" disk convert --salvage --json -f "$fmt" -O raw "$in" "$T/s.raw"
  python3 - "$T/out" "$T/src.raw" "$T/s.raw" <<'PY' || fail "salvage $fmt: $(head -c 3000 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
src, got = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
assert d["complete"] is False and d["missing"], d
assert len(got) == len(src)
lost = bytearray(len(src))
for m in d["missing"]:
    lost[m["offset"]:m["offset"] + m["length"]] = b"\1" * m["length"]
assert sum(lost) >= 1, d["missing"]
want = bytes(0 if l else b for b, l in zip(src, lost))
assert got == want, next(i for i in range(len(src)) if got[i] != want[i])
PY
  expect_rc 1 "$OVFKIT" disk info -f "$fmt" "$in"
  expect_rc 1 "$OVFKIT" disk info --salvage --json -f "$fmt" "$in"
  python3 - "$T/out" <<'PY' || fail "info --salvage $fmt: $(head -c 3000 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["complete"] is False and d["missing"] and d["virtual_size"] == 6291456, d
assert any(w["code"] == "DISK-TRUNCATED" for w in d["warnings"]), d
PY
  expect_rc 1 "$OVFKIT" disk info --salvage -f "$fmt" "$in"
  grep -q "^missing: .* bytes read as zeros (truncated image)" "$T/out" || fail "info text $fmt: $(cat "$T/out")"
  # The salvaged output and the cut image compare equal, but the cut image
  # is incomplete: exit 1 with the ranges listed.
  expect_rc 1 "$OVFKIT" disk compare --salvage --json -f "$fmt" -F raw "$in" "$T/s.raw"
  python3 - "$T/out" <<'PY' || fail "compare --salvage $fmt: $(head -c 3000 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is True and d["complete"] is False, d
assert d["missing_a"] and d["missing_b"] == [], d
PY
done

echo ok
