#!/usr/bin/env bash
# A full file system (ENOSPC) ends a conversion with exit 3 and one line
# naming the write that failed, and the temporary output is removed: on a
# 2 MiB tmpfs mounted for the test (needs root and mount; skipped otherwise).
# The file-size limit (EFBIG, ulimit -f) is in interrupt.sh.
. "$(dirname "$0")/../lib.sh"
mkdir "$T/mnt"
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$T/mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount "$T/mnt" 2>/dev/null || true; rm -rf "$T"' EXIT

head -c 8388608 /dev/urandom >"$T/src.raw"
for fmt in raw qcow2 vhdx vmdk-stream; do
  expect_rc 3 "$OVFKIT" disk convert -f raw -O "$fmt" "$T/src.raw" "$T/mnt/out.img"
  grep -q "No space left on device" "$T/err" || fail "$fmt: message: $(cat "$T/err")"
  [[ $(wc -l <"$T/err") == 1 ]] || fail "$fmt: more than one line: $(cat "$T/err")"
  [[ -z $(ls -A "$T/mnt") ]] || fail "$fmt: left $(ls -A "$T/mnt")"
  # The space is given back: nothing hidden stays allocated.
  used=$(df -k --output=used "$T/mnt" | tail -1 | tr -d ' ')
  [[ $used -lt 64 ]] || fail "$fmt: $used KiB still in use after the failure"
done
# What fits is written whole.
head -c 1048576 "$T/src.raw" >"$T/small.raw"
expect_rc 0 "$OVFKIT" disk convert -q -f raw -O qcow2 "$T/small.raw" "$T/mnt/small.qcow2"
expect_rc 0 "$OVFKIT" disk compare -f raw "$T/small.raw" "$T/mnt/small.qcow2"
echo ok
