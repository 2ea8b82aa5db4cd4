#!/usr/bin/env bash
# An appliance around ../shared/tools/make-boot-disk exported with
# `ovfkit convert --to vmware` and `--to vmware-ova`, once per source disk
# controller (LSI Logic as VMware writes it, virtio-scsi as KVM exports
# name it): the disk each export writes boots under QEMU on the bus its
# config names; virt-v2v (-i vmx, -i ova) reads the CPUs, memory, disks and
# NICs exported; vSphere's CreateImportSpec (the simulator) accepts the
# OVA's descriptor; the .vmx carries the OVF environment in guestinfo.ovfEnv.
# Skips until `ovfkit convert` has --to (the export engine, issue #13).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vcsim.bash"
tools="$OVFKIT_SOURCE_DIR/../shared/tools"
[[ -x $tools/make-boot-disk && -x $tools/boot-check ]] || skip "shared/tools is not beside the checkout"
"$OVFKIT" convert --help 2>&1 | grep -q -- '--to' || skip "ovfkit convert has no --to yet"
need qemu-system-x86_64
need syslinux
need mcopy
need python3
export BOOT_CHECK_S=${BOOT_CHECK_S:-240} LIBGUESTFS_BACKEND=direct
token="vmw-$$-$RANDOM"
BOOT_DISK_MIB=32 "$tools/make-boot-disk" "$T/boot.raw" "$token" >/dev/null ||
  skip "make-boot-disk could not build a boot disk (no kernel package reachable?)"
cap=$(stat -c %s "$T/boot.raw")

# appliance NAME RESOURCETYPE SUBTYPE: an OVA with the boot disk on that controller.
appliance() {
  local dir=$T/$1; mkdir "$dir"
  "$OVFKIT" disk convert -q -f raw -O vmdk-stream "$T/boot.raw" "$dir/boot.vmdk"
  cat >"$dir/app.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="f1" ovf:href="boot.vmdk"/></References>
  <DiskSection><Info>Disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="$cap" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection><Info>Networks</Info><Network ovf:name="Mgmt"><Description>management</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="boot-$1">
    <Info>The boot test guest</Info>
    <ProductSection ovf:class="test">
      <Info>Settings</Info>
      <Product>Boot test</Product>
      <Property ovf:key="greeting" ovf:type="string" ovf:userConfigurable="true" ovf:value="hello"/>
    </ProductSection>
    <OperatingSystemSection ovf:id="96" ovf:version="12"><Info>Debian 12</Info></OperatingSystemSection>
    <VirtualHardwareSection ovf:transport="iso">
      <Info>Hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>2 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>512 MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>Controller</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>$3</rasd:ResourceSubType><rasd:ResourceType>$2</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>Mgmt</rasd:Connection><rasd:ElementName>NIC</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
  expect_rc 0 "$OVFKIT" pack -q "$dir" "$T/$1.ova"
}

# The qemu bus boot-check uses for a VMware controller.
qemu_bus() {
  case $1 in
    pvscsi | VirtualSCSI) echo pvscsi ;; lsilogic) echo lsi ;; sata | vmware.sata.ahci) echo sata ;;
    ide) echo ide ;; *) fail "no QEMU bus for VMware controller '$1'" ;;
  esac
}

# v2v_reads OUTPUT: virt-v2v saw 2 CPUs, 512 MiB, one disk, the NIC on Mgmt.
v2v_reads() {
  python3 - "$1" <<'PY' || fail "virt-v2v read something else: $(cat "$1")"
import re, sys
v2v = open(sys.argv[1]).read()
field = lambda name: re.search(r"^\s*%s: (.*)$" % re.escape(name), v2v, re.M).group(1).strip()
assert field("nr vCPUs") == "2"
assert field("memory") == "536870912 (bytes)"
assert len(re.findall(r"^\t\d+ \[\w+\]$", v2v.split("disks:")[1].split("removable media:")[0], re.M)) == 1
assert re.findall(r'^\t\w+ "([^"]*)"', v2v.split("NICs:")[1], re.M) == ["Mgmt"]
PY
}

vcsim_start
for source in "lsi 6 lsilogic" "virtio 6 virtio-scsi"; do
  read -r name rt subtype <<<"$source"
  appliance "$name" "$rt" "$subtype"

  # vmware: the .vmx names the disk and its controller.
  expect_rc 0 "$OVFKIT" convert -q "$T/$name.ova" "$T/$name-vmx" --to vmware --prop 'test.greeting=hi "x"|y'
  vmx=$(ls "$T/$name-vmx"/*.vmx)
  read -r disk ctrl < <(python3 - "$vmx" <<'PY'
import re, sys
def unescape(v):
    return re.sub(r"\|([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), v)
keys = {k: unescape(v) for k, v in re.findall(r'^(\S+) = "([^"]*)"$', open(sys.argv[1]).read(), re.M)}
(slot, disk), = [(k[:-len(".fileName")], v) for k, v in keys.items() if k.endswith(".fileName") and v.endswith(".vmdk")]
bus = re.match(r"([a-z]+)(\d+)", slot)
ctrl = keys.get("%s%s.virtualDev" % bus.groups(), bus.group(1)) if bus.group(1) == "scsi" else bus.group(1)
import xml.etree.ElementTree as ET
env = ET.fromstring(keys["guestinfo.ovfEnv"])
OE = "{http://schemas.dmtf.org/ovf/environment/1}"
props = {p.get(OE + "key"): p.get(OE + "value") for p in env.iter(OE + "Property")}
assert props.get("test.greeting") == 'hi "x"|y', props
print(disk, ctrl)
PY
  )
  [[ -n $disk ]] || fail "$name: no disk in $vmx"
  "$tools/boot-check" "$T/$name-vmx/$disk" vmdk "$token" "$(qemu_bus "$ctrl")" >/dev/null ||
    fail "$name: the vmware export's disk does not boot on $ctrl"
  expect_rc 0 virt-v2v -i vmx "$vmx" --print-source
  v2v_reads "$T/out"

  # vmware-ova: vSphere accepts it, its disk boots on the descriptor's controller.
  expect_rc 0 "$OVFKIT" convert -q "$T/$name.ova" "$T/$name-vsphere.ova" --to vmware-ova
  mkdir "$T/$name-x" && tar xf "$T/$name-vsphere.ova" -C "$T/$name-x"
  ovf=$(ls "$T/$name-x"/*.ovf)
  vsphere_accepts "$ovf"
  read -r disk ctrl < <(python3 - "$ovf" <<'PY'
import sys, xml.etree.ElementTree as ET
R = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}"
O = "{http://schemas.dmtf.org/ovf/envelope/1}"
root = ET.parse(sys.argv[1]).getroot()
items = {i.findtext(R + "InstanceID"): i for i in root.iter(O + "Item")}
(d,) = [i for i in items.values() if i.findtext(R + "ResourceType") == "17"]
p = items[d.findtext(R + "Parent")]
ctrl = {"5": "ide"}.get(p.findtext(R + "ResourceType"), p.findtext(R + "ResourceSubType"))
disk_id = d.findtext(R + "HostResource").split("/")[-1]
disk = [x for x in root.iter(O + "Disk") if x.get(O + "diskId") == disk_id][0]
f = [x for x in root.iter(O + "File") if x.get(O + "id") == disk.get(O + "fileRef")][0]
print(f.get(O + "href"), ctrl)
PY
  )
  "$tools/boot-check" "$T/$name-x/$disk" vmdk "$token" "$(qemu_bus "$ctrl")" >/dev/null ||
    fail "$name: the vmware-ova export's disk does not boot on $ctrl"
  expect_rc 0 virt-v2v -i ova "$T/$name-vsphere.ova" --print-source
  v2v_reads "$T/out"
  echo "$name: the OVA booted on $ctrl"
done
echo ok
