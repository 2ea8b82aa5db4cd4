#!/usr/bin/env bash
# The test appliance exported to proxmox (`ovfkit convert --to proxmox`,
# with a deployment option, properties and a network mapping): the qm
# config says what the plan says (DNS name, CPUs and memory of the option,
# bridges, scsihw, boot order, the environment ISO on a CD slot), import.sh
# passes sh -n, bash -n and shellcheck, and the exported disk boots under
# QEMU on the bus the config names, with the environment ISO on the CD bus
# the config names, and the guest prints the properties given on the
# command line. The config's bus becomes QEMU's device as Proxmox makes it
# (scsihw lsi: LSI 53C895A; pvscsi; virtio-scsi-*: virtio-scsi; sataN: AHCI;
# ideN: IDE; virtioN: virtio-blk).
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
need qemu-system-x86_64
need syslinux
need mcopy
need mkfs.vfat
need cpio
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
export BOOT_CHECK_S=${BOOT_CHECK_S:-400}

token="pve-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }

password='s3cret & "quoted" <x> a=b'
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/pve" --to proxmox --accept-eula \
  --deployment-option large --prop "hostname=guest-$token" --prop "admin_password=$password" \
  --net mgmt=vmbr1 --json
conf="$T/pve/env-guest.conf"
[[ -f $conf && -x $T/pve/import.sh ]] || fail "no env-guest.conf or executable import.sh: $(ls "$T/pve")"
key() { sed -n "s/^$1: //p" "$conf"; }
[[ $(key name) == env-guest && $(key cores) == 2 && $(key memory) == 512 ]] ||
  fail "name/cores/memory: $(key name) $(key cores) $(key memory)"
[[ $(key ostype) == l26 && $(key bios) == seabios ]] || fail "ostype/bios: $(key ostype) $(key bios)"
[[ $(key net0) == *bridge=vmbr1 && $(key net1) == *bridge=vmbr0 ]] ||
  fail "bridges: net0 $(key net0), net1 $(key net1)"
grep -q "$password" "$conf" && fail "the password is in the config"
grep -q "$password" "$T/pve/import.sh" && fail "the password is in import.sh"

sh -n "$T/pve/import.sh" || fail "sh -n import.sh"
bash -n "$T/pve/import.sh" || fail "bash -n import.sh"
if command -v shellcheck >/dev/null; then
  shellcheck -s sh "$T/pve/import.sh" || fail "shellcheck import.sh"
fi

# The boot disk and the bus the config names for it.
dev=$(key boot | sed -n 's/^order=\([^;]*\).*/\1/p')
file=$(key "$dev" | sed -n 's/.*import-from=\([^,]*\).*/\1/p')
[[ -f $T/pve/$file ]] || fail "the config boots from $dev, file '$file', which is not in the output"
case $dev:$(key scsihw) in
  ide*) bus=ide ;;
  sata*) bus=sata ;;
  virtio*) bus=virtio ;;
  scsi*:lsi) bus=lsi ;;
  scsi*:pvscsi) bus=pvscsi ;;
  scsi*:virtio-scsi-*) bus=scsi ;;
  *) fail "no QEMU device for $dev (scsihw $(key scsihw))" ;;
esac
# The environment ISO: the CD slot whose image is ovfkit-VMID-<file>.
cdline=$(grep -E '^(ide|sata)[0-9]+: .*ovfkit-VMID-.*media=cdrom' "$conf") || fail "no environment CD in the config"
cdbus=${cdline%%[0-9]*}
iso=$(sed -n 's/.*iso\/ovfkit-VMID-\([^,]*\),.*/\1/p' <<<"$cdline")
[[ -f $T/pve/$iso ]] || fail "the config's CD image $iso is not in the output"
fmt=$(qemu-img info --output=json "$T/pve/$file" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
[[ $fmt == qcow2 ]] || fail "the disk is $fmt, not the default qcow2"

BOOT_CONSOLE_LOG="$T/console" \
  "$support/boot-with-cd" "$T/pve/$file" qcow2 "$token" "$bus" "$T/pve/$iso" "$cdbus" >"$T/got" 2>"$T/boot.err" ||
  { cat "$T/got" "$T/boot.err" >&2; fail "the exported disk did not boot on $dev ($bus) with the CD on $cdbus"; }
for want in "OVF-ENV found" "OVF-PROP hostname=guest-$token" "OVF-PROP admin_password=$password"; do
  grep -qxF "$want" "$T/got" || { cat "$T/got" "$T/console" >&2; fail "the guest did not print: $want"; }
done
echo "booted from $dev ($bus), environment on $cdbus: $(grep -c '^OVF-PROP ' "$T/got") properties read"
