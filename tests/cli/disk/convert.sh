#!/usr/bin/env bash
# `ovfkit disk convert`: outputs qemu-img reads as the same disk, --json
# summary, compression, thread counts giving identical bytes, -q and piped
# stderr staying silent.
. "$(dirname "$0")/../lib.sh"
need qemu-img
need python3

python3 - "$T/src.raw" <<'PY'
import os, random, sys
rng = random.Random(5)
MiB = 1 << 20
with open(sys.argv[1], "wb") as f:
    f.truncate(12 * MiB + 3584)
    f.seek(0); f.write(rng.randbytes(600 * 1024))
    f.seek(2 * MiB); f.write(b"compressible text, over and over. " * 60000)
    f.seek(6 * MiB); f.write(bytes(2 * MiB))            # stored zeros
    f.seek(9 * MiB + 4096); f.write(rng.randbytes(70000))
    f.seek(12 * MiB); f.write(rng.randbytes(3584))      # the tail
PY

# raw -> qcow2 (compressed), qemu-img agrees on the content and the image.
expect_rc 0 "$OVFKIT" disk convert -f raw -O qcow2 --compress --json "$T/src.raw" "$T/c.qcow2"
python3 - "$T/out" "$T/src.raw" "$T/c.qcow2" <<'PY' || fail "convert --json summary"
import json, os, sys
d = json.load(open(sys.argv[1]))
for key in ("input_format", "output_format", "virtual_size", "bytes_read", "bytes_written",
            "output_size", "seconds", "threads", "files"):
    assert key in d, f"missing {key}"
assert d["input_format"] == "raw" and d["output_format"] == "qcow2"
assert d["virtual_size"] == os.path.getsize(sys.argv[2])
assert d["output_size"] == os.path.getsize(sys.argv[3])
assert d["files"][0]["path"] == sys.argv[3]
assert 0 < d["bytes_written"] < d["bytes_read"], d   # stored zeros were skipped
assert d["output_size"] < 4 << 20, d                  # compressed
assert d["threads"] >= 1 and d["seconds"] >= 0
PY
qemu-img compare -q -f raw -F qcow2 "$T/src.raw" "$T/c.qcow2" || fail "qemu-img compare raw/qcow2"
qemu-img check -q -f qcow2 "$T/c.qcow2" || fail "qemu-img check of the compressed qcow2"
qemu-img info -f qcow2 "$T/c.qcow2" | grep -q "compression type: zlib" || true

# The same conversion with 1 and 4 threads gives the same bytes.
"$OVFKIT" disk convert -q -f raw -O qcow2 -c --threads 1 "$T/src.raw" "$T/t1.qcow2"
"$OVFKIT" disk convert -q -f raw -O qcow2 -c --threads 4 "$T/src.raw" "$T/t4.qcow2"
cmp "$T/t1.qcow2" "$T/t4.qcow2" || fail "qcow2 output depends on the thread count"

# Into every writable format and back, detected on the way back.
mapfile -t formats < <("$OVFKIT" version --json | python3 -c '
import json, sys
for f in json.load(sys.stdin)["disk_formats"]:
    if f["write"]:
        print(f["name"], f["family"])')
for entry in "${formats[@]}"; do
  read -r name family <<<"$entry"
  qf=$family
  out="$T/o-$name.img"
  "$OVFKIT" disk convert -q -f raw -O "$name" "$T/src.raw" "$out" || fail "raw -> $name"
  qemu-img compare -q -f raw -F "$qf" "$T/src.raw" "$out" || fail "qemu-img: raw -> $name differs"
  from=(); [[ $name == raw ]] && from=(-f raw)
  "$OVFKIT" disk convert -q "${from[@]}" -O raw "$out" "$T/b-$name.raw" || fail "$name -> raw"
  qemu-img compare -q -f raw -F raw "$T/src.raw" "$T/b-$name.raw" || fail "$name -> raw differs"
done

# Outputs are written in whole pages with O_DIRECT where the file system
# does direct I/O, through the page cache with --buffered: same bytes.
direct_ok=$(python3 - "$T" <<'PY'
import os, sys
try:
    fd = os.open(os.path.join(sys.argv[1], "probe"), os.O_WRONLY | os.O_CREAT | os.O_DIRECT)
    os.close(fd); print(1)
except OSError:
    print(0)
PY
)
for fmt in raw qcow2; do
  for mode in direct buffered; do
    flag=(); [[ $mode == buffered ]] && flag=(--buffered)
    expect_rc 0 "$OVFKIT" disk convert -f raw -O "$fmt" --json "${flag[@]}" "$T/src.raw" "$T/$mode.$fmt"
    python3 - "$T/out" "$mode" "$direct_ok" <<'PY' || fail "direct_bytes of $fmt ($mode): $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] == "direct" and sys.argv[3] == "1":
    assert 0 < d["direct_bytes"] <= d["bytes_written"], d
else:
    assert d["direct_bytes"] == 0, d
PY
  done
  cmp "$T/direct.$fmt" "$T/buffered.$fmt" || fail "$fmt: direct and --buffered outputs differ"
done
qemu-img compare -q -f raw -F raw "$T/src.raw" "$T/direct.raw" || fail "direct raw output differs"

# -q prints nothing; without a terminal there is no progress bar either.
expect_rc 0 "$OVFKIT" disk convert -q -f raw -O vhdx "$T/src.raw" "$T/q.vhdx"
[[ ! -s $T/out && ! -s $T/err ]] || fail "-q printed something"
expect_rc 0 "$OVFKIT" disk convert -f raw -O vdi "$T/src.raw" "$T/p.vdi"
[[ ! -s $T/err ]] || fail "progress or noise on a piped stderr: $(cat "$T/err")"
grep -q "(raw) -> .*p.vdi (vdi)" "$T/out" || fail "summary line: $(cat "$T/out")"

# A terminal gets the progress bar (when `script` can provide one).
if command -v script >/dev/null 2>&1; then
  script -qec "$OVFKIT disk convert -f raw -O qcow2 $T/src.raw $T/tty.qcow2" /dev/null >"$T/tty" 2>&1 || true
  grep -q "converting 100.0%" "$T/tty" || fail "no progress bar on a terminal: $(cat -v "$T/tty")"
fi

# --cluster-size reaches the writer.
expect_rc 0 "$OVFKIT" disk convert -q -f raw -O qcow2 --cluster-size 256K "$T/src.raw" "$T/big.qcow2"
qemu-img info -f qcow2 --output=json "$T/big.qcow2" | grep -q '"cluster-size": 262144' \
  || fail "--cluster-size 256K not applied"
# -O may be left out where the output's extension names one format.
expect_rc 0 "$OVFKIT" disk convert -q -f raw "$T/src.raw" "$T/inferred.qcow2"
qemu-img info --output=json "$T/inferred.qcow2" | grep -q '"format": "qcow2"' || fail ".qcow2 not qcow2"
expect_rc 0 "$OVFKIT" disk convert --json -f raw "$T/src.raw" "$T/inferred.vhd"
grep -q '"output_format": "vhd"' "$T/out" || fail ".vhd not dynamic vhd: $(cat "$T/out")"
for name in inferred.vmdk inferred.raw inferred.img noextension; do
  expect_rc 2 "$OVFKIT" disk convert -f raw "$T/src.raw" "$T/$name"
  grep -q "name the output format with -O" "$T/err" || fail "$name: $(cat "$T/err")"
  [[ ! -e $T/$name ]] || fail "$name written without a format"
done
grep -q "vmdk-stream" <("$OVFKIT" disk convert -f raw "$T/src.raw" "$T/x.vmdk" 2>&1) \
  || fail ".vmdk refusal does not list the subformats"
echo "ok"
