#!/usr/bin/env bash
# `ovfkit convert VM.xva OUT.ova` (docs/import.md, XenServer / XCP-ng):
#   - hostile XVAs made from an exported one are refused with exit 4 (a bad
#     chunk checksum naming the chunk, a chunk past the disk, a '..' or
#     absolute member, a member of an undeclared VDI, a 10 MB value in
#     ova.xml, 100 000 objects) or exit 1 (a truncated archive), with
#     nothing written; a missing chunk reads as zeros;
#   - the test appliance exported with --to xenserver and imported back plans
#     like the original except what the export and import reported, its
#     envelope validates, its disk compares identical (qemu-img compare),
#     MACs are kept only with --keep-macs, and it boots (one boot).
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
support=$OVFKIT_SOURCE_DIR/tests/support

plan_json() {
  "$OVFKIT" convert "$1" "$T/plan-out" --to ovf --dry-run --json --accept-eula "${@:2}"
}

# 1. A small XVA of our own: 3 MiB, data in chunks 0 and 2.
python3 - "$T/d.raw" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"a" * (1 << 20)); f.write(b"\0" * (1 << 20)); f.write(b"c" * (1 << 20))
PY
qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized "$T/d.raw" "$T/d.vmdk"
cat >"$T/d.ovf" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="f1" ovf:href="d.vmdk"/></References>
  <DiskSection><Info>Disks</Info><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="3145728" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <NetworkSection><Info>Networks</Info><Network ovf:name="LAN"><Description>LAN</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="small">
    <Info>A VM</Info>
    <OperatingSystemSection ovf:id="96" ovf:version="12"><Info>OS</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>HW</Info>
      <Item><rasd:ElementName>2 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>mem</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>IDE</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:Address>52:54:00:12:34:56</rasd:Address><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>LAN</rasd:Connection><rasd:ElementName>nic</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
expect_rc 0 "$OVFKIT" convert -q "$T/d.ovf" "$T/small.xva" --to xenserver --keep-macs
expect_rc 0 "$OVFKIT" convert -q "$T/small.xva" "$T/small.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/small.ova"
mkdir "$T/small-x" && tar xf "$T/small.ova" -C "$T/small-x"
expect_rc 0 qemu-img compare -q -f raw "$T/d.raw" "$T/small-x/$(cd "$T/small-x" && ls *.vmdk)"
# The same VM with XXH64 block checksums (.xxhash, what xapi writes since
# 8.1): the same disk; a chunk altered under its .xxhash is refused.
mkdir "$T/xx"
expect_rc 0 "$OVFKIT" convert -q "$T/d.ovf" "$T/xx/small.xva" --to xenserver --xva-checksum xxhash
tar -tf "$T/xx/small.xva" | grep -q '/00000002\.xxhash$' || fail "no .xxhash member in $(tar -tf "$T/xx/small.xva")"
expect_rc 0 "$OVFKIT" convert -q "$T/xx/small.xva" "$T/xx/small.ova"
mkdir "$T/xx/x" && tar xf "$T/xx/small.ova" -C "$T/xx/x"
expect_rc 0 qemu-img compare -q -f raw "$T/d.raw" "$T/xx/x/$(cd "$T/xx/x" && ls *.vmdk)"
python3 - "$T/xx/small.xva" "$T/xx/bad.xva" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = [m for m in t.getmembers() if m.name.endswith("/00000002")][0]
    at = m.offset_data + 4096
d = bytearray(open(sys.argv[1], "rb").read())
d[at] ^= 0xFF
open(sys.argv[2], "wb").write(d)
PY
expect_rc 4 "$OVFKIT" convert -q "$T/xx/bad.xva" "$T/xx/bad.ova"
grep -q "chunk Ref:[0-9]*/00000002 .*XXH64" "$T/err" || fail "altered xxhash chunk: $(cat "$T/err")"
[[ ! -e $T/xx/bad.ova ]] || fail "the altered XVA was written"
# MACs: only with --keep-macs; the network's name is kept.
expect_rc 0 plan_json "$T/small.xva"
python3 -c 'import json,sys; (vm,)=json.load(open(sys.argv[1]))["vms"]; assert vm["cpus"]==2 and vm["memory_bytes"]==512<<20 and [n["network"] for n in vm["nics"]]==["LAN"] and not vm["nics"][0].get("mac"), vm' "$T/out" ||
  fail "plan of small.xva: $(cat "$T/out")"
expect_rc 0 plan_json "$T/small.xva" --keep-macs
python3 -c 'import json,sys; (vm,)=json.load(open(sys.argv[1]))["vms"]; assert vm["nics"][0]["mac"]=="52:54:00:12:34:56", vm' "$T/out" ||
  fail "--keep-macs: $(cat "$T/out")"

# 2. Hostile and damaged XVAs, made from small.xva by tarfile.
python3 - "$T/small.xva" "$T/h" <<'PY'
import io, os, sys, tarfile, hashlib
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        members.append((m.name, t.extractfile(m).read()))
        if m.name.endswith("/00000002"):
            cut = m.offset_data + 1000
ref = [n for n, _ in members if n.endswith("/00000000")][0].split("/")[0]
def write(name, items):
    with tarfile.open(os.path.join(out, name + ".xva"), "w", format=tarfile.USTAR_FORMAT) as t:
        for n, data in items:
            i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))
def sha(d): return hashlib.sha1(d).hexdigest().encode()
# A chunk whose bytes do not match its checksum.
write("badsum", [(n, d[:-1] + b"X" if n == ref + "/00000002" else d) for n, d in members])
# The last chunk left out: it reads as zeros (chunk 1, all zeros, is left out already).
write("missing", [(n, d) for n, d in members if not n.startswith(ref + "/00000002")])
# A chunk index past the virtual size (3 MiB: chunks 0-2).
write("past", members + [(ref + "/00000007", b"p" * (1 << 20)), (ref + "/00000007.checksum", sha(b"p" * (1 << 20)))])
write("dotdot", members[:1] + [("../escape", b"x")] + members[1:])
write("absolute", members[:1] + [("/tmp/escape", b"x")] + members[1:])
write("undeclared", members + [("Ref:42/00000000", b"u"), ("Ref:42/00000000.checksum", sha(b"u"))])
xml = dict(members)["ova.xml"]
write("bigvalue", [("ova.xml", xml.replace(b"<name>name_description</name><value>", b"<name>name_description</name><value>" + b"x" * (10 << 20), 1))] + members[1:])
objs = b"".join(b"<value><struct><member><name>class</name><value>network</value></member><member><name>id</name><value>Ref:%d</value></member></struct></value>" % (900000 + i) for i in range(100000))
write("objects", [("ova.xml", xml.replace(b"<data>\n", b"<data>\n" + objs, 1))] + members[1:])
whole = open(src, "rb").read()
open(os.path.join(out, "truncated.xva"), "wb").write(whole[:cut])
PY
hostile() { # NAME RC TEXT
  set +e; "$OVFKIT" convert -q "$T/h/$1.xva" "$T/h/$1.ova" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == "$2" ]] || fail "$1: exit $rc, expected $2: $(cat "$T/err")"
  grep -q -- "$3" "$T/err" || fail "$1: the message does not say '$3': $(cat "$T/err")"
  [[ $(wc -l <"$T/err") -le 2 ]] || fail "$1: more than one line: $(cat "$T/err")"
  [[ ! -e $T/h/$1.ova ]] || fail "$1: refused but wrote the OVA"
}
hostile badsum 4 "chunk Ref:[0-9]*/00000002"
hostile past 4 "past the disk's virtual size"
hostile dotdot 4 "escapes the archive"
hostile absolute 4 "an absolute path"
hostile undeclared 4 "declares as no VDI"
hostile bigvalue 4 "ova.xml"
hostile objects 4 "ova.xml"
hostile truncated 1 "truncated"
[[ ! -e /tmp/escape ]] || fail "something wrote /tmp/escape"
expect_rc 0 "$OVFKIT" convert -q "$T/h/missing.xva" "$T/h/missing.ova"
mkdir "$T/m-x" && tar xf "$T/h/missing.ova" -C "$T/m-x"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[2<<20:]=bytes(1<<20); open(sys.argv[2],"wb").write(d)' "$T/d.raw" "$T/m.raw"
expect_rc 0 qemu-img compare -q -f raw "$T/m.raw" "$T/m-x/$(cd "$T/m-x" && ls *.vmdk)"

# 3. Round trip: the test appliance -> --to xenserver -> imported back.
token="import-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
mkdir "$T/xen"
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/xen/app.xva" --to xenserver --accept-eula --json \
  --prop admin_password=secret123
cp "$T/out" "$T/export.json"
expect_rc 0 "$OVFKIT" convert "$T/xen/app.xva" "$T/back.ova" --json
cp "$T/out" "$T/import.json"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 plan_json "$T/app.ova" --prop admin_password=secret123
cp "$T/out" "$T/orig.plan.json"
expect_rc 0 plan_json "$T/back.ova"
cp "$T/out" "$T/back.plan.json"
python3 - "$T/orig.plan.json" "$T/export.json" "$T/back.plan.json" <<'PY' || fail "the round trip changed the plan"
import json, sys
(orig,) = json.load(open(sys.argv[1]))["vms"]
export = json.load(open(sys.argv[2]))
(back,) = json.load(open(sys.argv[3]))["vms"]
noted = {n["code"] for n in export.get("notes", [])}
for k in ("cpus", "memory_bytes", "firmware", "secure_boot"):
    assert back[k] == orig[k], (k, back[k], orig[k])
# xapi names the guest OS only in words; the exporter also writes the OS
# table's key in other_config (ovfkit-guest-os), so the OS comes back.
assert back["os"]["key"] == orig["os"]["key"], (back["os"], orig["os"])
c = {x["id"]: x for x in back["controllers"]}
co = {x["id"]: x for x in orig["controllers"]}
assert [d["capacity_bytes"] for d in back["disks"]] == [d["capacity_bytes"] for d in orig["disks"]]
# VBDs: the boot disk at userdevice 0, on the emulated IDE an HVM guest boots from.
assert back["disks"][0]["boot"] and c[back["disks"][0]["controller"]]["bus"] == "ide" and back["disks"][0]["unit"] == 0, back["disks"]
assert "ctrl-xen-vbd" in noted or all(co[d["controller"]]["bus"] == "ide" for d in orig["disks"])
# NICs: the same networks; the model as the export reported it (a VIF).
assert [n["network"] for n in back["nics"]] == [n["network"] for n in orig["nics"]] or "nic-network" in noted, (back["nics"], orig["nics"])
assert len(back["nics"]) == len(orig["nics"])
assert all(n["model"] == "rtl8139" for n in back["nics"]) and "nic-model" in noted
PY
mkdir "$T/back-x" "$T/app-x" && tar xf "$T/back.ova" -C "$T/back-x" && tar xf "$T/app.ova" -C "$T/app-x"
disk=$T/back-x/$(cd "$T/back-x" && ls *.vmdk | head -1)
expect_rc 0 qemu-img compare -q "$T/app-x/env-guest-disk1.vmdk" "$disk"
if [[ -n ${OVFKIT_SKIP_BOOT:-} ]] || ! command -v qemu-system-x86_64 >/dev/null; then
  echo "boot skipped"; echo ok; exit 0
fi
BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$disk" vmdk "$token" ide none >/dev/null ||
  fail "the imported disk does not boot on IDE"
echo ok
