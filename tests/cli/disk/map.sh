#!/usr/bin/env bash
# `ovfkit disk map`: the allocation map, as text or a JSON document whose
# "extents" are {offset, length, kind}, covering the disk and agreeing with
# qemu-img map.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

truncate -s 10M "$T/src.raw"
head -c 131072 /dev/urandom | dd of="$T/src.raw" bs=64k seek=4 conv=notrunc status=none
head -c 65536 /dev/urandom | dd of="$T/src.raw" bs=64k seek=100 conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 "$T/src.raw" "$T/a.qcow2"

expect_rc 0 "$OVFKIT" disk map --json "$T/a.qcow2"
qemu-img map -f qcow2 --output=json "$T/a.qcow2" >"$T/qemu.json"
python3 - "$T/out" "$T/qemu.json" <<'PY' || fail "map --json"
import json, sys
d = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
assert d["schema"] == "ovfkit/1" and d["format"] == "qcow2" and d["virtual_size"] == 10 << 20, d
assert d["warnings"] == [] and d["image"].endswith("a.qcow2"), d
m = d["extents"]
assert isinstance(m, list) and m
pos = 0
for e in m:
    assert set(e) == {"offset", "length", "kind"}, e
    assert e["offset"] == pos and e["length"] > 0 and e["kind"] in ("data", "zero", "unallocated")
    pos += e["length"]
assert pos == 10 << 20
def ranges(entries):
    out = []
    for o, l in entries:
        if out and out[-1][1] == o:
            out[-1][1] = o + l
        else:
            out.append([o, o + l])
    return out
ours = ranges((e["offset"], e["length"]) for e in m if e["kind"] == "data")
theirs = ranges((e["start"], e["length"]) for e in q if e["data"])
assert ours == theirs, (ours, theirs)
assert ours == [[4 << 16, 6 << 16], [100 << 16, 101 << 16]], ours
PY

expect_rc 0 "$OVFKIT" disk map "$T/a.qcow2"
head -1 "$T/out" | grep -q "^offset  *length  *kind$" || fail "header: $(cat "$T/out")"
grep -q "^262144  *131072  *data$" "$T/out" || fail "text map: $(cat "$T/out")"

# Raw maps its holes (when the file system reports them) and a tiny image maps.
expect_rc 0 "$OVFKIT" disk map -f raw --json "$T/src.raw"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["extents"]
assert sum(e["length"] for e in m) == 10 << 20' "$T/out" || fail "raw map"
: >"$T/empty.raw"
expect_rc 0 "$OVFKIT" disk map -f raw --json "$T/empty.raw"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["extents"] == []' "$T/out" || fail "empty map"
# A table that breaks past the first 64 MiB window: what was mapped is
# printed, then the error; the JSON document stays unclosed so that nobody
# parses a partial map as a whole one.
truncate -s 1536M "$T/far.raw"
head -c 65536 /dev/urandom | dd of="$T/far.raw" bs=64k seek=10 conv=notrunc status=none
head -c 65536 /dev/urandom | dd of="$T/far.raw" bs=1M seek=1300 conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 "$T/far.raw" "$T/far.qcow2"
python3 - "$T/far.qcow2" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(40); l1 = struct.unpack(">Q", f.read(8))[0]
    f.seek(l1 + 16); l2 = struct.unpack(">Q", f.read(8))[0] & 0x00FFFFFFFFFFFE00
    f.seek(l2); f.write(struct.pack(">Q", (1 << 63) | (1 << 40)))  # L2 entry 0 of L1[2]: 1 TiB out
PY
expect_rc 1 "$OVFKIT" disk map --json "$T/far.qcow2"
grep -q '"offset": 655360, "length": 65536, "kind": "data"' "$T/out" || fail "partial map: $(cat "$T/out")"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null \
  && fail "a map cut short by an error parses as complete JSON"
grep -q "L2 entry 0 of L1 entry 2 at offset 0x[0-9a-f]*: data cluster at 0x10000000000 lies beyond the end of the file" "$T/err" \
  || fail "error: $(cat "$T/err")"
echo "ok"
