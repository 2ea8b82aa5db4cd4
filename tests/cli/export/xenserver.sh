#!/usr/bin/env bash
# `ovfkit convert --to xenserver`: the XVA read back by a reader of the
# test's own (tests/cli/export/xva_read.py: tar layout, ova.xml as
# XML-RPC, every block's SHA-1, xapi's reassembly with its gap rule), for
# the tiny example, a disk whose size is not a whole MiB (VHD source) and
# the test appliance with properties; each reassembled disk equals its
# source (qemu-img compare). The test appliance's disk boots under QEMU on
# the bus ova.xml implies (HVM: userdevice 0 is the emulated IDE primary
# master) with the environment ISO written beside the XVA on the IDE CD,
# and the guest prints the properties given on the command line.
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
reader="$(dirname "$0")/xva_read.py"
need python3
need qemu-img
# The .xxhash check needs python3-xxhash (scripts/setup), which only the
# system's own interpreter has when another python3 comes first in PATH.
xxpy=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import xxhash' 2>/dev/null; then xxpy=$p; break; fi
done
[[ -n $xxpy ]] || fail "no python3 with the xxhash module (Debian python3-xxhash; scripts/setup installs it)"

# read_xva XVA DIR [sha1|xxhash]: reassembles every VDI into DIR/<n>.raw
# (plan order), prints the reader's JSON summary to DIR/summary.json.
read_xva() {
  mkdir -p "$2"
  "$xxpy" "$reader" "$1" "$2" "${3:-sha1}" >"$2/summary.json" 2>"$2/err" ||
    { cat "$2/err" >&2; fail "xva_read.py refused $1"; }
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# 1. The tiny example: one 64 MiB streamOptimized disk.
tiny="$OVFKIT_SOURCE_DIR/examples/tiny/tiny.ovf"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/tiny.xva" --to xenserver --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["to"]=="xenserver" and d["files"][0]["name"]=="tiny.xva", d' "$T/out" ||
  fail "--json report: $(cat "$T/out")"
[[ $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extra_files"])' "$T/out") == "['tiny-env.iso']" ]] ||
  fail "the environment ISO is not reported beside the XVA: $(cat "$T/out")"
[[ -f $T/tiny-env.iso ]] || fail "no tiny-env.iso beside the XVA"
read_xva "$T/tiny.xva" "$T/tiny"
[[ $(field "$T/tiny/summary.json" 'd["vms"][0]["name_label"]') == tiny ]] || fail "VM name: $(cat "$T/tiny/summary.json")"
[[ $(field "$T/tiny/summary.json" 'd["vms"][0]["memory_static_max"]') == 268435456 ]] || fail "memory: $(cat "$T/tiny/summary.json")"
qemu-img compare -q -f raw -F vmdk "$T/tiny/0.raw" "$OVFKIT_SOURCE_DIR/examples/tiny/tiny.vmdk" ||
  fail "the tiny XVA's disk differs from tiny.vmdk"
# Nothing is replaced without --force; with it, the same bytes (reproducible).
expect_rc 4 "$OVFKIT" convert "$tiny" "$T/tiny.xva" --to xenserver
cp "$T/tiny.xva" "$T/tiny-first.xva"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/tiny.xva" --to xenserver --force
cmp -s "$T/tiny.xva" "$T/tiny-first.xva" || fail "two exports of the same appliance differ"
expect_rc 2 "$OVFKIT" convert "$tiny" "$T/x.xva" --to xenserver --disk-format qcow2
# --xva-checksum xxhash: every block followed by its .xxhash (XXH64, checked
# by python3-xxhash), none by a .checksum; the same disk.
mkdir "$T/xx" "$T/sha"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/xx/tiny.xva" --to xenserver --xva-checksum xxhash
read_xva "$T/xx/tiny.xva" "$T/tiny-xx" xxhash
[[ $(field "$T/tiny-xx/summary.json" 'd["blocks"]') == $(field "$T/tiny/summary.json" 'd["blocks"]') ]] ||
  fail "the xxhash XVA has other blocks: $(cat "$T/tiny-xx/summary.json")"
tar -tf "$T/xx/tiny.xva" | grep -q '\.checksum$' && fail "an xxhash XVA holds .checksum members"
cmp -s "$T/tiny/0.raw" "$T/tiny-xx/0.raw" || fail "the xxhash XVA's disk differs from the SHA-1 one's"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/sha/tiny.xva" --to xenserver --xva-checksum sha1
cmp -s "$T/tiny.xva" "$T/sha/tiny.xva" || fail "--xva-checksum sha1 is not the default"
expect_rc 2 "$OVFKIT" convert "$tiny" "$T/x.xva" --to xenserver --xva-checksum md5
grep -q "sha1, xxhash" "$T/err" || fail "--xva-checksum md5: $(cat "$T/err")"
expect_rc 2 "$OVFKIT" convert "$tiny" "$T/x.ova" --to ova --xva-checksum xxhash
grep -q "writes no block checksums" "$T/err" || fail "--xva-checksum with --to ova: $(cat "$T/err")"

# 2. A fixed VHD whose size is not a whole MiB (5 MiB + 1536 bytes, kept by
#    force_size), data at both ends and in the middle.
python3 - "$T/odd.raw" <<'PY'
import sys
size = 5 * 1048576 + 1536
with open(sys.argv[1], "wb") as f:
    f.truncate(size)
    f.seek(0); f.write(b"first" * 100)
    f.seek(3 * 1048576 + 7); f.write(b"middle")
    f.seek(size - 512); f.write(b"L" * 512)
PY
qemu-img convert -q -f raw -O vpc -o subformat=fixed,force_size=on "$T/odd.raw" "$T/odd.vhd"
cap=$(qemu-img info --output=json "$T/odd.vhd" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
mkdir "$T/oddapp" && mv "$T/odd.vhd" "$T/oddapp/"
cat >"$T/oddapp/odd.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="f1" ovf:href="odd.vhd"/></References>
  <DiskSection><Info>disks</Info><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="$cap" ovf:format="http://technet.microsoft.com/en-us/virtualserver/bb676673.aspx"/></DiskSection>
  <VirtualSystem ovf:id="odd"><Info>odd</Info><Name>odd &amp; "quoted" &lt;/value&gt;</Name>
    <OperatingSystemSection ovf:id="94"><Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:ElementName>cpu</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>mem</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>256</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>ide</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
XML
expect_rc 0 "$OVFKIT" convert "$T/oddapp/odd.ovf" "$T/odd.xva" --to xenserver
read_xva "$T/odd.xva" "$T/odd"
[[ $(field "$T/odd/summary.json" 'd["vms"][0]["name_label"]') == 'odd & "quoted" </value>' ]] ||
  fail "the VM name is not literal: $(cat "$T/odd/summary.json")"
[[ $(field "$T/odd/summary.json" 'd["vdis"][0]["virtual_size"] % 1048576 != 0') == True ]] ||
  fail "the VHD's size happens to be a whole MiB: $(cat "$T/odd/summary.json")"
qemu-img compare -q -f raw -F vpc "$T/odd/0.raw" "$T/oddapp/odd.vhd" || fail "the odd-size XVA disk differs from its source"

# 3. The test appliance: properties, a deployment option, networks; booted.
need qemu-system-x86_64
need syslinux
need mcopy
need mkfs.vfat
need cpio
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
export BOOT_CHECK_S=${BOOT_CHECK_S:-400}
token="xen-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
password='s3cret & "quoted" <x> a=b'
mkdir "$T/xen"
expect_rc 0 "$OVFKIT" convert "$T/app/env-guest.ovf" "$T/xen/app.xva" --to xenserver --accept-eula \
  --deployment-option large --prop "hostname=guest-$token" --prop "admin_password=$password" \
  --net mgmt=xenbr1 --keep-macs
read_xva "$T/xen/app.xva" "$T/appx"
s="$T/appx/summary.json"
[[ $(field "$s" 'd["vms"][0]["VCPUs_max"]') == 2 && $(field "$s" 'd["vms"][0]["memory_static_max"]') == 536870912 ]] ||
  fail "CPUs/memory of the large option: $(cat "$s")"
[[ $(field "$s" 'sorted(d["networks"])') == "['data', 'xenbr1']" ]] || fail "networks: $(cat "$s")"
grep -qF "$password" "$T/xen/app.xva" && fail "the password is in the XVA"
qemu-img compare -q -f raw -F vmdk "$T/appx/0.raw" "$T/app/env-guest-disk1.vmdk" ||
  fail "the appliance's XVA disk differs from its source"
# The boot VBD: userdevice 0, bootable; HVM boots it as the IDE primary master.
[[ $(field "$s" '[(b["userdevice"], b["bootable"], b["disk"]) for b in d["vbds"] if b["type"] == "Disk"][0]') == "('0', True, 0)" ]] ||
  fail "the boot disk is not userdevice 0: $(cat "$s")"
[[ $(field "$s" '[b["userdevice"] for b in d["vbds"] if b["type"] == "CD"]') == "['3']" ]] ||
  fail "no CD drive at userdevice 3: $(cat "$s")"
iso="$T/xen/env-guest-env.iso"
[[ -f $iso ]] || fail "no environment ISO beside the XVA: $(ls "$T/xen")"
BOOT_CONSOLE_LOG="$T/console" \
  "$support/boot-with-cd" "$T/appx/0.raw" raw "$token" ide "$iso" ide >"$T/got" 2>"$T/boot.err" ||
  { cat "$T/got" "$T/boot.err" >&2; fail "the XVA's disk did not boot on IDE"; }
for want in "OVF-ENV found" "OVF-PROP hostname=guest-$token" "OVF-PROP admin_password=$password"; do
  grep -qxF "$want" "$T/got" || { cat "$T/got" "$T/console" >&2; fail "the guest did not print: $want"; }
done
echo "XVA disks reassembled and equal to their sources; booted on IDE with $(grep -c '^OVF-PROP ' "$T/got") properties"
