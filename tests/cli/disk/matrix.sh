#!/usr/bin/env bash
# The conversion matrix, part one: ovfkit reads every format and subformat
# qemu-img writes as exactly the source disk, under the right format name,
# whether the format is detected or named. Part two (every readable format
# into every writable one) is split over matrix_*.sh so CTest runs it in
# parallel.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/matrix.inc"

matrix_source "$T/src.raw"
for v in "${matrix_variants[@]}"; do
  IFS='|' read -r name qfmt qopts ours <<<"$v"
  img=$(matrix_make "$name")
  named=(-f "$ours")
  detected=()
  [[ $ours == raw ]] && detected=(-f raw)
  expect_rc 0 "$OVFKIT" disk info --json "${detected[@]}" "$img"
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == sys.argv[2], (d["format"], sys.argv[2])' "$T/out" "$ours" \
    || fail "$name: ovfkit disk info says $(grep '"format"' "$T/out")"
  expect_rc 0 "$OVFKIT" disk compare "${detected[@]}" -F raw "$img" "$T/src.raw"
  expect_rc 0 "$OVFKIT" disk compare "${named[@]}" -F raw "$img" "$T/src.raw"
  expect_rc 0 "$OVFKIT" disk check "${detected[@]}" "$img"
  echo "read: $name as $ours"
done
