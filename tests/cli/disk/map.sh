#!/usr/bin/env bash
# `ovfkit disk map`: the allocation map, as text or a JSON array of
# {offset, length, kind}, covering the disk and agreeing with qemu-img map.
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
m = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
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
m = json.load(open(sys.argv[1]))
assert sum(e["length"] for e in m) == 10 << 20' "$T/out" || fail "raw map"
: >"$T/empty.raw"
expect_rc 0 "$OVFKIT" disk map -f raw --json "$T/empty.raw"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1])) == []' "$T/out" || fail "empty map"
echo "ok"
