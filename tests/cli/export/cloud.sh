#!/usr/bin/env bash
# The cloud disk profiles (issue #14, formats/clouds.md 7): the boot test
# appliance (tests/support/make-test-appliance) exported to azure, aws and
# gce, each output checked offline the way clouds.md 7 says, and each disk
# booted once under QEMU on the bus the cloud gives it:
#   azure  the fixed VHD: an independent footer check (cookie, type 2,
#          data offset, sizes, geometry, checksum), `qemu-img info -f vpc`
#          with a whole-MiB virtual size, `qemu-img compare` against the
#          source, azure.json; booted on IDE (Generation 1: BIOS guest).
#   aws    the OVA: `ovfkit validate`, `virt-v2v -i ova --print-source`,
#          one VirtualSystem, streamOptimized disks; booted on the
#          controller the descriptor names (EC2's own buses, Xen PV and
#          NVMe, are not among the test tools').
#   gce    the .tar.gz: gzip -t, exactly one member disk.raw, oldgnu magic
#          and type S in its header, a whole GiB, GNU tar extracts a sparse
#          file holding the source's bytes; booted on virtio-SCSI.
# And the refusals: a VirtualSystemCollection for aws (cloud-multi-vm,
# exit 4, nothing written); --strict for azure, which drops the
# environment CD (exit 1); the appliance declared UEFI while its disk is an
# MBR with a BIOS loader (cloud-firmware, every cloud, exit 4).
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
need qemu-system-x86_64
need genisoimage
"$OVFKIT" version --json | python3 -c 'import json,sys; sys.exit(0 if "azure" in [t["name"] for t in json.load(sys.stdin)["export_targets"]] else 1)' ||
  skip "ovfkit has no azure target"
export BOOT_CHECK_S=${BOOT_CHECK_S:-300}
support=$OVFKIT_SOURCE_DIR/tests/support
token="cloud-$$-$RANDOM"
set +e
OVFKIT=$OVFKIT "$support/make-test-appliance" "$T/app" "$token" >/dev/null 2>"$T/mk.err"
rc=$?
set -e
[[ $rc == 3 ]] && skip "no kernel package for the test guest: $(cat "$T/mk.err")"
[[ $rc == 0 ]] || fail "make-test-appliance: $(cat "$T/mk.err")"
src=$T/app/env-guest.ovf
src_disk=$T/app/env-guest-disk1.vmdk

# ---- azure ----------------------------------------------------------------
expect_rc 0 "$OVFKIT" convert "$src" "$T/az" --to azure --accept-eula --json
python3 - "$T/out" <<'PY' || fail "azure plan: $(cat "$T/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
codes = {(n["code"], n["action"]) for n in doc["notes"]}
assert ("cloud-generation", "info") in codes, codes
assert ("vapp-props", "dropped") in codes, codes  # Azure attaches no CD image
assert doc["vms"][0]["machine"] == "V1", doc["vms"][0]
assert doc["extra_files"] == ["azure.json"], doc["extra_files"]  # no environment ISO
# The boot disk's tables were read: an MBR with syslinux in sector 0.
fw = [n["reason"] for n in doc["notes"] if n["code"] == "cloud-firmware"]
assert any("MBR with boot code in sector 0: boots with BIOS" in r for r in fw), fw
PY
# The same disk declared UEFI (vmw:Config firmware): only BIOS can boot it,
# so every cloud refuses the plan (exit 4, nothing written).
mkdir "$T/efi" && cp "$src_disk" "$T/efi/"
sed 's|<VirtualHardwareSection ovf:transport="iso">|&<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>|' "$src" >"$T/efi/env-guest.ovf"
grep -q 'vmw:value="efi"' "$T/efi/env-guest.ovf" || fail "the UEFI variant was not made"
for cloud in azure aws gce; do
  expect_rc 4 "$OVFKIT" convert "$T/efi/env-guest.ovf" "$T/efi-$cloud" --to "$cloud" --accept-eula --dry-run
  grep -q "only BIOS can boot it, and the VM declares UEFI; .*(cloud-firmware)" "$T/err" ||
    fail "$cloud: the UEFI plan of a BIOS disk was not refused for its firmware: $(cat "$T/err")"
  [[ ! -e $T/efi-$cloud ]] || fail "$cloud: refused but wrote $T/efi-$cloud"
done
vhd=$T/az/env-guest-disk1.vhd
[[ -f $vhd ]] || fail "azure: no $vhd ($(ls "$T/az"))"
# The footer, read here without ovfkit (vhd-vhdx.md 1, clouds.md 7).
python3 - "$vhd" <<'PY' || fail "azure: the VHD footer is not what Azure takes"
import os, struct, sys
path = sys.argv[1]
L = os.path.getsize(path)
MiB = 1048576
assert L % 512 == 0, L
assert (L - 512) % MiB == 0, f"virtual size {L - 512} is not a whole MiB"
assert 20972032 <= L <= 35183298347520, L
with open(path, "rb") as f:
    f.seek(L - 512)
    footer = f.read(512)
    f.seek(0)
    head = f.read(8)
assert head != b"conectix", "a fixed VHD has no footer copy at offset 0"
(cookie, features, version, data_offset, _ts, _app, _cver, _host, original, current,
 cyl, heads, spt, disk_type, checksum) = struct.unpack(">8sIIQI4sI4sQQHBBII", footer[:68])
assert cookie == b"conectix", cookie
assert features & 2, features
assert version == 0x00010000, hex(version)
assert data_offset == 0xFFFFFFFFFFFFFFFF, hex(data_offset)
assert disk_type == 2, disk_type
assert current == original == L - 512, (current, original, L)
assert (cyl, heads, spt) == (65535, 16, 255) or cyl * heads * spt * 512 == current, (cyl, heads, spt)
zeroed = footer[:64] + b"\0\0\0\0" + footer[68:]
assert checksum == (~sum(zeroed)) & 0xFFFFFFFF, (hex(checksum), hex((~sum(zeroed)) & 0xFFFFFFFF))
assert footer[85:] == bytes(427), "reserved bytes are not zero"
PY
L=$(stat -c %s "$vhd")
vsize=$(qemu-img info -f vpc --output=json "$vhd" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
[[ $vsize == $((L - 512)) && $((vsize % 1048576)) == 0 ]] ||
  fail "azure: qemu-img reads a virtual size of $vsize for a $L-byte VHD"
qemu-img compare -q -f vpc -F vmdk "$vhd" "$src_disk" || fail "azure: the VHD holds other bytes than the source disk"
python3 - "$T/az/azure.json" "$L" <<'PY' || fail "azure.json: $(cat "$T/az/azure.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "ovfkit/1" and doc["target"] == "azure"
(vm,) = doc["vms"]
assert vm["hyper_v_generation"] == "V1" and vm["os_type"] == "Linux" and vm["firmware"] == "bios", vm
(d,) = vm["disks"]
assert d["role"] == "os" and d["file"] == "env-guest-disk1.vhd", d
assert d["upload_size_bytes"] == int(sys.argv[2]) == d["virtual_size"] + 512, d
PY
"$support/boot-with-cd" "$vhd" vpc "$token" ide none >/dev/null ||
  fail "azure: the VHD does not boot on IDE (Generation 1)"
echo "azure: the fixed VHD ($L bytes) booted on IDE"

# --strict: the environment CD is dropped, so the export is refused.
expect_rc 1 "$OVFKIT" convert "$src" "$T/az-strict" --to azure --accept-eula --strict
grep -q "vapp-props" "$T/err" || fail "azure --strict: $(cat "$T/err")"
[[ ! -e $T/az-strict ]] || fail "azure --strict wrote $T/az-strict"

# ---- aws ------------------------------------------------------------------
expect_rc 0 "$OVFKIT" convert "$src" "$T/aws.ova" --to aws --accept-eula --json
python3 - "$T/out" <<'PY' || fail "aws plan: $(cat "$T/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
codes = {(n["code"], n["action"]) for n in doc["notes"]}
for want in [("cloud-firmware", "info"), ("cloud-nic-count", "info"), ("cloud-cdrom", "info"),
             ("cloud-free-space", "info"), ("cloud-drivers", "info")]:
    assert want in codes, (want, codes)
PY
expect_rc 0 "$OVFKIT" validate "$T/aws.ova"
mkdir "$T/aws" && tar xf "$T/aws.ova" -C "$T/aws"
ovf=$(ls "$T/aws"/*.ovf)
read -r disk ctrl < <(python3 - "$ovf" <<'PY'
import sys, xml.etree.ElementTree as ET
R = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}"
O = "{http://schemas.dmtf.org/ovf/envelope/1}"
root = ET.parse(sys.argv[1]).getroot()
assert len(list(root.iter(O + "VirtualSystem"))) == 1
disks = list(root.iter(O + "Disk"))
assert 1 <= len(disks) <= 21
for d in disks:
    assert d.get(O + "format").endswith("#streamOptimized"), d.get(O + "format")
items = {i.findtext(R + "InstanceID"): i for i in root.iter(O + "Item")}
(d,) = [i for i in items.values() if i.findtext(R + "ResourceType") == "17"]
p = items[d.findtext(R + "Parent")]
ctrl = {"5": "ide"}.get(p.findtext(R + "ResourceType"), p.findtext(R + "ResourceSubType"))
disk_id = d.findtext(R + "HostResource").split("/")[-1]
disk = [x for x in disks if x.get(O + "diskId") == disk_id][0]
f = [x for x in root.iter(O + "File") if x.get(O + "id") == disk.get(O + "fileRef")][0]
print(f.get(O + "href"), ctrl)
PY
)
[[ -n $disk ]] || fail "aws: no boot disk in $ovf"
qemu-img info -f vmdk "$T/aws/$disk" | grep -q "create type: streamOptimized" ||
  fail "aws: $disk is not streamOptimized"
case $ctrl in lsilogic) bus=lsi ;; VirtualSCSI) bus=pvscsi ;; ide) bus=ide ;; vmware.sata.ahci) bus=sata ;; *) fail "aws: no QEMU bus for controller $ctrl" ;; esac
if command -v virt-v2v >/dev/null; then
  LIBGUESTFS_BACKEND=direct expect_rc 0 virt-v2v -i ova "$T/aws.ova" --print-source
  grep -q "nr vCPUs: 1" "$T/out" && grep -q "memory: 268435456 (bytes)" "$T/out" ||
    fail "aws: virt-v2v read $(cat "$T/out")"
else
  echo "virt-v2v is not installed: the OVA is not read by it"
fi
"$support/boot-with-cd" "$T/aws/$disk" vmdk "$token" "$bus" none >/dev/null ||
  fail "aws: the OVA's disk does not boot on $bus"
echo "aws: the OVA's disk booted on $bus ($ctrl)"

# A collection is refused before anything is written.
corpus=${OVFKIT_CORPUS_DIR:-}
if [[ -n $corpus && -f $corpus/ovf/dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf ]]; then
  expect_rc 4 "$OVFKIT" convert "$corpus/ovf/dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf" \
    "$T/multi.ova" --to aws --accept-eula --dry-run
  grep -q "cloud-multi-vm" "$T/err" || fail "aws collection: $(cat "$T/err")"
  [[ ! -e $T/multi.ova ]] || fail "a refused plan wrote $T/multi.ova"
fi

# ---- gce ------------------------------------------------------------------
expect_rc 0 "$OVFKIT" convert "$src" "$T/image.tar.gz" --to gce --accept-eula --json
python3 - "$T/out" <<'PY' || fail "gce plan: $(cat "$T/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
codes = {(n["code"], n["action"]) for n in doc["notes"]}
for want in [("cloud-size-align", "translated"), ("cloud-firmware", "info"), ("vapp-props", "dropped")]:
    assert want in codes, (want, codes)
(d,) = doc["vms"][0]["disks"]
assert d["target_capacity_bytes"] == 1 << 30, d
assert doc["extra_files"] == [], doc["extra_files"]
PY
gzip -t "$T/image.tar.gz" || fail "gce: not a gzip file"
[[ $(tar -tzf "$T/image.tar.gz") == disk.raw ]] || fail "gce: members $(tar -tzf "$T/image.tar.gz")"
python3 - "$T/image.tar.gz" <<'PY' || fail "gce: the first tar header is not an oldgnu sparse disk.raw"
import gzip, sys
with gzip.open(sys.argv[1]) as f:
    h = f.read(512)
assert h[:9] == b"disk.raw\0", h[:100]
assert h[257:265] == b"ustar  \0", h[257:265]
assert h[156:157] == b"S", h[156:157]
real = int(h[483:495].rstrip(b"\0 "), 8) if not h[483] & 0x80 else int.from_bytes(h[484:495], "big")
assert real % (1 << 30) == 0 and real > 0, real
PY
mkdir "$T/gce"
tar -xSzf "$T/image.tar.gz" -C "$T/gce"
raw=$T/gce/disk.raw
[[ $(stat -c %s "$raw") == $((1 << 30)) ]] || fail "gce: disk.raw is $(stat -c %s "$raw") bytes"
(( $(stat -c %b "$raw") * 512 < 256 * 1048576 )) || fail "gce: disk.raw is not sparse ($(stat -c %b "$raw") blocks)"
qemu-img compare -q -f raw -F vmdk "$raw" "$src_disk" || fail "gce: disk.raw holds other bytes than the source disk"
"$support/boot-with-cd" "$raw" raw "$token" scsi none >/dev/null ||
  fail "gce: disk.raw does not boot on virtio-SCSI"
echo "gce: disk.raw (1 GiB, $(( $(stat -c %b "$raw") * 512 )) bytes allocated) booted on virtio-SCSI"
echo ok
