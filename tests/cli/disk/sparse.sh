#!/usr/bin/env bash
# A 64 GiB sparse disk with a few MiB of data converts in seconds and in
# bounded memory: unallocated ranges are skipped, never read, and the number
# of buffers in flight is fixed.
. "$(dirname "$0")/../lib.sh"
need qemu-img
[[ -x /usr/bin/time ]] || skip "/usr/bin/time is not installed"

truncate -s 64G "$T/big.raw"
for gib in 0 1 17 40 63; do
  head -c 2097152 /dev/urandom | dd of="$T/big.raw" bs=1M seek=$((gib * 1024 + 3)) conv=notrunc status=none
done
allocated=$(( $(stat -c %b "$T/big.raw") * $(stat -c %B "$T/big.raw") ))
((allocated < 64 << 20)) || skip "the file system under $T does not keep files sparse"

# ASan and UBSan builds carry their own memory overhead; the bound is for
# ordinary builds.
limit_kib=$((64 * 1024))
grep -aq __asan_init "$OVFKIT" && limit_kib=$((512 * 1024))

for fmt in qcow2 vmdk-stream raw; do
  out="$T/out.$fmt"
  /usr/bin/time -f "%M %e" -o "$T/time" "$OVFKIT" disk convert -q --threads 4 -f raw -O "$fmt" \
    "$T/big.raw" "$out" || fail "64 GiB sparse raw -> $fmt failed"
  read -r rss seconds <"$T/time"
  echo "raw -> $fmt: peak RSS $((rss / 1024)) MiB, ${seconds}s"
  ((rss < limit_kib)) || fail "raw -> $fmt used $((rss / 1024)) MiB (limit $((limit_kib / 1024)) MiB)"
  family=$fmt; [[ $fmt == vmdk-stream ]] && family=vmdk
  prlimit --as=4000000000 --cpu=300 qemu-img compare -q -f raw -F "$family" "$T/big.raw" "$out" \
    || fail "raw -> $fmt: qemu-img sees other bytes"
  rm -f "$out"
done
