#!/usr/bin/env bash
# A bootable disk converted by ovfkit through every writable format, in a
# chain, still boots under QEMU at every step, and the last step gives back
# exactly the bytes of the first. A conversion that an image reader accepts
# but that does not boot is a bug.
. "$(dirname "$0")/../lib.sh"
tools="$OVFKIT_SOURCE_DIR/../shared/tools"
[[ -x $tools/make-boot-disk && -x $tools/boot-check ]] || skip "shared/tools is not beside the checkout"
need qemu-system-x86_64
need syslinux
need mcopy

# TCG boots take seconds on an idle machine but can pass boot-check's 120 s
# default when the machine is busy (a CI run beside other builds): the
# bound is for a hang, not for speed.
export BOOT_CHECK_S=${BOOT_CHECK_S:-240}

token="chain-$$-$RANDOM"
BOOT_DISK_MIB=32 "$tools/make-boot-disk" "$T/boot.raw" "$token" >/dev/null \
  || skip "make-boot-disk could not build a boot disk (no kernel package reachable?)"

# Writable formats and their qemu names, from ovfkit itself: new formats join the chain.
"$OVFKIT" version --json >"$T/version.json"
mapfile -t chain < <(python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["disk_formats"]:
    if f["write"] and f["read"] and f["name"] != "raw":
        print(f["name"], f["family"])
' "$T/version.json")
((${#chain[@]} > 0)) || skip "ovfkit has no writable disk format besides raw"
"$OVFKIT" --help | grep -qE '^ +disk ' || skip "ovfkit has no 'disk convert' command yet"

prev="$T/boot.raw" prev_fmt=raw
for entry in "${chain[@]}" "raw raw"; do
  read -r name family <<<"$entry"
  out="$T/step-$name.img"
  "$OVFKIT" disk convert -q -f "$prev_fmt" -O "$name" "$prev" "$out" \
    || fail "ovfkit disk convert $prev_fmt -> $name failed"
  "$tools/boot-check" "$out" "$family" "$token" >/dev/null \
    || fail "the $name image converted from $prev_fmt does not boot"
  echo "booted: $prev_fmt -> $name"
  prev=$out prev_fmt=$name
done
cmp "$T/boot.raw" "$prev" || fail "the chain back to raw changed the disk's bytes"
