#!/usr/bin/env bash
# `ovfkit convert --to xenserver-ova`: the OVA in XenServer's OVF dialect
# (hvm-3.0-unknown, disks as VHD with XenOvf's URI, xenovf: platform data)
# passes `ovfkit validate` and reads back through ovfkit (planned again for
# the XVA target with the same CPUs, memory, disks and VIFs); its VHD
# disks hold the source's bytes (qemu-img compare). Inputs: the tiny
# example, three corpus descriptors (XenServer's own, a VirtualBox and a
# vSphere export) with stand-in disks, and the test appliance with
# properties (noted: XenCenter gives the guest no OVF environment), a
# deployment option and networks (its disk is the same conversion as the
# other targets', which boot it, so it is compared, not booted).
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
xenovf=http://schemas.citrix.com/ovf/envelope/1

# check OVA DIR: validates OVA, unpacks it into DIR, checks the dialect of
# its descriptor, and plans it again (--to xenserver) into DIR/replan.json.
check() {
  expect_rc 0 "$OVFKIT" validate "$1"
  mkdir -p "$2" && tar xf "$1" -C "$2"
  python3 - "$2"/*.ovf "$xenovf" <<'PY' || fail "$1: the descriptor is not XenServer's dialect"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ovf, xen = "{http://schemas.dmtf.org/ovf/envelope/1}", "{" + sys.argv[2] + "}"
vssd = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData}"
rasd = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}"
types = [t.text for t in root.iter(vssd + "VirtualSystemType")]
assert types and all(t == "hvm-3.0-unknown" for t in types), types
for d in root.iter(ovf + "Disk"):
    assert d.get(ovf + "format") == "http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx", d.attrib
for hw in root.iter(ovf + "VirtualHardwareSection"):
    names = [c.get("Name") for c in hw.iter(xen + "VirtualSystemOtherConfigurationData")]
    assert names == ["platform", "HVM_boot_policy", "HVM_boot_params"], names
    for item in hw.iter(ovf + "Item"):
        if item.findtext(rasd + "ResourceType") == "19":
            assert item.findtext(rasd + "Connection").startswith("device="), ET.tostring(item)
PY
  expect_rc 0 "$OVFKIT" convert "$1" "$T/never.xva" --to xenserver --dry-run --json --accept-eula
  cp "$T/out" "$2/replan.json"
}
# same_vms A B: two plans' VMs have the same CPUs, memory, disks and VIFs.
same_vms() {
  python3 - "$1" "$2" <<'PY' || fail "the OVA plans differently from its source: $1 $2"
import json, sys
def vms(p):
    return [(v["cpus"], v["memory_bytes"], [(d["capacity_bytes"], d["unit"]) for d in v["disks"]],
             [(n["network"], n.get("mac")) for n in v["nics"]]) for v in json.load(open(p))["vms"]]
a, b = vms(sys.argv[1]), vms(sys.argv[2])
assert a == b, (a, b)
PY
}

# 1. The tiny example: its VHD holds tiny.vmdk's bytes.
tiny="$OVFKIT_SOURCE_DIR/examples/tiny/tiny.ovf"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/tiny.ova" --to xenserver-ova --json
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/never.xva" --to xenserver --dry-run --json
cp "$T/out" "$T/tiny-src.json"
check "$T/tiny.ova" "$T/tiny"
same_vms "$T/tiny-src.json" "$T/tiny/replan.json"
vhd=$(ls "$T"/tiny/*.vhd)
[[ $(qemu-img info --output=json "$vhd" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])') == vpc ]] ||
  fail "the disk is no VHD"
qemu-img compare -q -f vmdk -F vpc "$OVFKIT_SOURCE_DIR/examples/tiny/tiny.vmdk" "$vhd" || fail "the VHD differs from tiny.vmdk"
expect_rc 0 "$OVFKIT" convert "$tiny" "$T/fixed.ova" --to xenserver-ova --disk-format vhd-fixed
expect_rc 2 "$OVFKIT" convert "$tiny" "$T/x.ova" --to xenserver-ova --disk-format qcow2
[[ ! -e $T/x.ova ]] || fail "a refused export left x.ova"

# 2. Corpus descriptors with stand-in disks of their capacity.
if [[ -d $corpus/ovf ]]; then
  for label in xenserver/sample_app.ovf virtualbox/vbox5-all-storage-controllers.ovf vmware-vsphere/win19.ovf; do
    pkg=$T/pkg-${label//\//-}; mkdir "$pkg"
    # The stand-ins are smaller than the files were: no ovf:size.
    sed -E 's/ ovf:size="[0-9]+"//g' "$corpus/ovf/$label" >"$pkg/$(basename "$label")"
    python3 - "$pkg/$(basename "$label")" "$pkg" <<'PY' || fail "$label: no stand-ins"
import re, subprocess, sys, xml.etree.ElementTree as ET
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
root = ET.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip("\ufeff")))  # XenServer declares utf-16 and writes UTF-8
local = lambda t: t.split("}")[-1]
attr = lambda e, n: next((v for k, v in e.attrib.items() if local(k) == n), None)
files = {attr(e, "id"): attr(e, "href") for e in root.iter() if local(e.tag) == "File"}
for d in (e for e in root.iter() if local(e.tag) == "Disk"):
    href, cap = files.get(attr(d, "fileRef")), attr(d, "capacity")
    u = (attr(d, "capacityAllocationUnits") or "byte").replace(" ", "")
    m = re.fullmatch(r"byte(?:\*2\^(\d+))?", u)
    size = max(int(cap) * 2 ** int(m.group(1) or 0), 1 << 20)
    uri = (attr(d, "format") or "").lower()
    fmt = ["vpc"] if "vhd" in uri or "virtualserver" in uri else ["vmdk", "-o", "subformat=streamOptimized"]
    subprocess.run(["qemu-img", "create", "-q", "-f", *fmt, sys.argv[2] + "/" + href, str(size)], check=True)
PY
    out=$T/${label//\//-}.ova
    expect_rc 0 "$OVFKIT" convert -q --accept-eula "$pkg" "$out" --to xenserver-ova
    expect_rc 0 "$OVFKIT" convert "$pkg" "$T/never.xva" --to xenserver --dry-run --json --accept-eula
    cp "$T/out" "$T/src.json"
    check "$out" "$T/x-${label//\//-}"
    same_vms "$T/src.json" "$T/x-${label//\//-}/replan.json"
  done
fi

# 3. The test appliance: properties, a deployment option, networks.
need cpio
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
token="xo-$$-$RANDOM"
set +e
"$OVFKIT_SOURCE_DIR/tests/support/make-test-appliance" "$T/app" "$token" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
password='s3cret & "quoted" <x> a=b'
expect_rc 0 "$OVFKIT" convert "$T/app/env-guest.ovf" "$T/app.ova" --to xenserver-ova --accept-eula \
  --deployment-option large --prop "hostname=guest-$token" --prop "admin_password=$password" \
  --net mgmt=xenbr1 --keep-macs --json
cp "$T/out" "$T/app-export.json"
check "$T/app.ova" "$T/appx"
python3 - "$T/appx/replan.json" <<'PY' || fail "the appliance's OVA plans wrong: $(cat "$T/appx/replan.json")"
import json, sys
vm = json.load(open(sys.argv[1]))["vms"][0]
assert vm["cpus"] == 2 and vm["memory_bytes"] == 536870912, vm
assert sorted(n["network"] for n in vm["nics"]) == ["data", "xenbr1"], vm["nics"]
PY
grep -qF "$password" "$T"/appx/*.ovf && fail "the password is in the descriptor"
python3 - "$T/app-export.json" <<'PY' || fail "no env-none note: $(cat "$T/app-export.json")"
import json, sys
assert any(n["code"] == "env-none" for n in json.load(open(sys.argv[1]))["notes"])
PY
qemu-img compare -q -f vmdk -F vpc "$T/app/env-guest-disk1.vmdk" "$(ls "$T"/appx/*.vhd | head -1)" ||
  fail "the appliance's VHD differs from its source"
echo "xenserver-ova: tiny, corpus and appliance OVAs valid, read back and equal to their sources"
