#!/usr/bin/env bash
# Rebuilds examples/tiny/tiny.vmdk: a 64 MiB disk with an MBR, one FAT16
# partition and a text file, stored as a streamOptimized VMDK made by qemu-img
# (an independent producer, so the example also tests ovfkit's reader).
# Needs: fdisk (sfdisk), dosfstools, mtools, qemu-utils.
# After rebuilding, update ovf:size of file1 in tiny.ovf (stat -c %s tiny.vmdk).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 64M "$work/tiny.raw"
printf 'label: dos\nstart=2048, type=c, bootable\n' | sfdisk -q "$work/tiny.raw"
mkfs.fat -F 16 -n TINY -i 0fca1e00 --offset 2048 "$work/tiny.raw" 64512 >/dev/null
cat >"$work/hello.txt" <<'TEXT'
Hello from the ovfkit tiny example appliance.

This FAT file system sits on the first partition of tiny.vmdk. After
`ovfkit disk convert`, the copy must hold exactly the same bytes:
`ovfkit disk compare` and `qemu-img compare` say so.
TEXT
MTOOLS_SKIP_CHECK=1 mcopy -m -i "$work/tiny.raw@@1M" "$work/hello.txt" ::HELLO.TXT
rm -f tiny.vmdk
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$work/tiny.raw" tiny.vmdk
stat -c 'tiny.vmdk: %s bytes' tiny.vmdk
# The manifest `ovfkit verify` checks the example against (ovftool's form).
for f in tiny.ovf tiny.vmdk; do
  echo "SHA256($f)= $(sha256sum "$f" | cut -d' ' -f1)"
done >tiny.mf
