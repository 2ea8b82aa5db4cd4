#!/usr/bin/env bash
# A bootable disk, converted by ovfkit to the proxmox target's default disk
# format, boots under QEMU on the bus the target's qm config names for it,
# for each controller an appliance may put its boot disk on: the mapping
# must never name a bus the VM cannot boot from. The config's boot disk
# (`boot: order=` first device, its `import-from=` file and, for SCSI, the
# `scsihw`) is turned into QEMU's device as Proxmox does (lsi: LSI 53C895A;
# pvscsi; virtio-scsi-*: virtio-scsi; sata: AHCI; virtio: virtio-blk).
# The configs come from tests/tools/proxmox_sample (map() and the writers),
# which can put the boot disk on any controller; tests/cli/deploy/proxmox.sh
# boots a whole `ovfkit convert --to proxmox` export.
. "$(dirname "$0")/../lib.sh"
tools="$OVFKIT_SOURCE_DIR/../shared/tools"
sample="${OVFKIT_BUILD_DIR:?}/tests/proxmox_sample"
[[ -x $tools/make-boot-disk && -x $tools/boot-check ]] || skip "shared/tools is not beside the checkout"
[[ -x $sample ]] || fail "$sample is not built"
need qemu-system-x86_64
need syslinux
need mcopy
export BOOT_CHECK_S=${BOOT_CHECK_S:-240}

token="pve-$$-$RANDOM"
BOOT_DISK_MIB=32 "$tools/make-boot-disk" "$T/boot.raw" "$token" >/dev/null \
  || skip "make-boot-disk could not build a boot disk (no kernel package reachable?)"
mkdir "$T/out"
"$OVFKIT" disk convert -q -f raw -O qcow2 "$T/boot.raw" "$T/out/disk1.qcow2"

# MODEL GUEST -> the bus the config must name (qm slot prefix, scsihw)
cases=(
  "piix4 windows ide"
  "ahci windows sata"
  "lsilogic linux scsi:lsi"
  "pvscsi windows scsi:pvscsi"
  "virtio-scsi linux scsi:virtio-scsi-single"
  "virtio-blk linux virtio"
  "lsilogicsas linux scsi:virtio-scsi-single"
  "buslogic windows sata"
  "nvme linux scsi:virtio-scsi-single"
  "nvme windows sata"
)
for c in "${cases[@]}"; do
  read -r model guest want <<<"$c"
  rm -f "$T/out"/*.conf "$T/out/import.sh"
  "$sample" "$T/out" disk1.qcow2 "$model" "$guest" bios 2>"$T/notes" \
    || fail "proxmox_sample $model $guest: $(cat "$T/notes")"
  conf="$T/out/appliance.conf"
  dev=$(sed -n 's/^boot: order=\([^;]*\).*/\1/p' "$conf")
  line=$(sed -n "s/^$dev: //p" "$conf")
  file=$(sed -n 's/.*import-from=\([^,]*\).*/\1/p' <<<"$line")
  scsihw=$(sed -n 's/^scsihw: //p' "$conf")
  got=${dev%%[0-9]*}
  [[ $got == scsi ]] && got="scsi:$scsihw"
  [[ $got == "$want" ]] || fail "$model ($guest): the config boots from $dev ($got), expected $want"
  case $got in
    ide) bus=ide ;;
    sata) bus=sata ;;
    virtio) bus=virtio ;;
    scsi:lsi) bus=lsi ;;
    scsi:pvscsi) bus=pvscsi ;;
    scsi:virtio-scsi-*) bus=scsi ;;
    *) fail "$model: no QEMU device for $got" ;;
  esac
  [[ -f $T/out/$file ]] || fail "$model: the config names $file, which is not in the output"
  "$tools/boot-check" "$T/out/$file" qcow2 "$token" "$bus" >/dev/null \
    || fail "$model ($guest): the disk does not boot on $dev ($bus)"
  echo "booted: $model ($guest) -> $dev${scsihw:+ scsihw $scsihw}"
done
