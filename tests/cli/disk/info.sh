#!/usr/bin/env bash
# `ovfkit disk info --json` names each format qemu-img writes (the reader's
# best match), with the virtual size and the fields scripts rely on; the text
# form is aligned key: value lines; raw is read only when named.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

truncate -s 6M "$T/src.raw"
head -c 300000 /dev/urandom | dd of="$T/src.raw" bs=64k seek=3 conv=notrunc status=none

# name | qemu format | qemu options | ovfkit format
cases=(
  "qcow2|qcow2|-o compat=1.1|qcow2"
  "qcow2v2|qcow2|-o compat=0.10|qcow2"
  "sparse.vmdk|vmdk|-o subformat=monolithicSparse|vmdk"
  "stream.vmdk|vmdk|-o subformat=streamOptimized|vmdk-stream"
  "flat.vmdk|vmdk|-o subformat=monolithicFlat|vmdk-flat"
  "dyn.vhd|vpc|-o subformat=dynamic|vhd"
  "fixed.vhd|vpc|-o subformat=fixed|vhd-fixed"
  "dyn.vhdx|vhdx|-o subformat=dynamic|vhdx"
  "fixed.vhdx|vhdx|-o subformat=fixed|vhdx-fixed"
  "dyn.vdi|vdi|-o static=off|vdi"
  "static.vdi|vdi|-o static=on|vdi-fixed"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name qfmt qopts want <<<"$c"
  img="$T/img.$name"
  # shellcheck disable=SC2086
  qemu-img convert -q -f raw -O "$qfmt" $qopts "$T/src.raw" "$img"
  expect_rc 0 "$OVFKIT" disk info --json "$img"
  python3 - "$T/out" "$want" "$img" <<'PY' || fail "disk info --json of $name"
import json, sys
d = json.load(open(sys.argv[1]))
want, img = sys.argv[2], sys.argv[3]
for key in ("format", "virtual_size", "allocated_size", "cluster_size", "dirty", "parent", "files"):
    assert key in d, f"missing {key}: {d}"
assert d["format"] == want, f"format {d['format']} != {want}"
assert d["detected"] is True
assert d["virtual_size"] >= 6 << 20 and d["virtual_size"] < 7 << 20, d["virtual_size"]
assert d["dirty"] is False and d["parent"] is None
assert d["files"][0] == img
assert isinstance(d["allocated_size"], int) and d["allocated_size"] > 0, d
assert isinstance(d["cluster_size"], int)
PY
  # Naming the format gives the same answer.
  expect_rc 0 "$OVFKIT" disk info -f "$want" --json "$img"
  grep -q "\"format\": \"$want\"" "$T/out" || fail "-f $want: $(cat "$T/out")"
done

# monolithicFlat lists its extent as a second file.
expect_rc 0 "$OVFKIT" disk info --json "$T/img.flat.vmdk"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["files"]) == 2 and d["files"][1].endswith("-flat.vmdk"), d["files"]' "$T/out" \
  || fail "flat vmdk files"

# Raw: never guessed, read when named; text output is aligned.
expect_rc 1 "$OVFKIT" disk info "$T/src.raw"
grep -q "name the format with -f (raw is never guessed)" "$T/err" || fail "raw hint: $(cat "$T/err")"
expect_rc 0 "$OVFKIT" disk info -f raw "$T/src.raw"
grep -qx "format:         raw" "$T/out" || fail "text format line: $(cat "$T/out")"
grep -qx "virtual size:   6 MiB (6291456 bytes)" "$T/out" || fail "text size line: $(cat "$T/out")"
grep -qx "parent:         -" "$T/out" || fail "text parent line: $(cat "$T/out")"
expect_rc 0 "$OVFKIT" disk info -f raw --json "$T/src.raw"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "raw" and d["virtual_size"] == 6 << 20 and d["detected"] is False
assert d["cluster_size"] == 0' "$T/out" || fail "raw json"

# A qcow2 with a backing file: the parent is reported only when followed.
qemu-img create -q -f qcow2 -b img.qcow2 -F qcow2 "$T/child.qcow2"
expect_rc 4 "$OVFKIT" disk info "$T/child.qcow2"
grep -q "backing chains are refused unless parents are allowed" "$T/err" || fail "$(cat "$T/err")"
expect_rc 0 "$OVFKIT" disk info -f qcow2 --allow-parent --json "$T/child.qcow2"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["parent"] == "img.qcow2" and len(d["files"]) == 2, d' "$T/out" || fail "parent json"
echo "ok"
