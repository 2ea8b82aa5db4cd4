#!/usr/bin/env bash
# `ovfkit convert --to virtualbox` and `--to virtualbox-ova`.
# 1. A few corpus descriptors (VirtualBox's own export, vSphere, an OVF 2.0
#    VirtualBox export, a UEFI vSphere guest), with stand-in disks of the declared
#    capacity: each .vbox reads (an independent reader: python3's XML) as
#    settings 1.16/1.18 whose media registry names files that are there and
#    VDIs that `qemu-img info` and `qemu-img check` accept, whose header
#    creation UUID (offset 0x188, GUID byte order) is the registry's UUID,
#    and whose attachments all name registered media; the virtualbox-ova
#    export validates (`ovfkit validate`).
# 2. The test appliance (tests/support/make-test-appliance) with a
#    deployment option, properties and a network mapping: the .vbox says
#    what the plan says (CPUs, memory, NIC chips and attachments); the VDI
#    boots under QEMU on the bus the .vbox attaches it to, with the
#    environment ISO from the .vbox's DVD, and the guest prints the
#    properties given (one boot); virt-v2v reads the virtualbox-ova export.
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"
need python3
need qemu-img

# check_vbox DIR: every .vbox of DIR against its files; prints "VM BUS DISK CDBUS ISO"
# for the first disk of each VM (BUS, CDBUS: boot-with-cd's names).
check_vbox() {
  python3 - "$1" <<'PY'
import glob, json, os, re, subprocess, sys, uuid
import xml.etree.ElementTree as ET
d = sys.argv[1]
NS = "{http://www.virtualbox.org/}"
qemu_bus = {"PIIX3": "ide", "PIIX4": "ide", "ICH6": "ide", "AHCI": "sata", "LsiLogic": "lsi",
            "BusLogic": "lsi", "VirtioSCSI": "scsi", "LsiLogicSas": "", "NVMe": ""}
vboxes = sorted(glob.glob(os.path.join(d, "*.vbox")))
assert vboxes, "no .vbox in " + d
for path in vboxes:
    root = ET.parse(path).getroot()
    assert root.tag == NS + "VirtualBox", root.tag
    version = root.get("version")
    assert version in ("1.16-linux", "1.18-linux"), version
    (m,) = root.findall(NS + "Machine")
    assert re.fullmatch(r"\{[0-9a-f-]{36}\}", m.get("uuid")), m.get("uuid")
    hw = m.find(NS + "Hardware")
    assert int(hw.find(NS + "CPU").get("count")) >= 1
    assert int(hw.find(NS + "Memory").get("RAMSize")) >= 4
    assert hw.find(NS + "Firmware").get("type") in ("BIOS", "EFI")
    media = {}
    for hd in m.iter(NS + "HardDisk"):
        loc = hd.get("location")
        assert "/" not in loc and os.path.isfile(os.path.join(d, loc)), loc
        assert hd.get("format") == "VDI"
        f = os.path.join(d, loc)
        with open(f, "rb") as fh:
            head = fh.read(0x198)
        got = uuid.UUID(bytes_le=head[0x188:0x198])
        want = uuid.UUID(hd.get("uuid").strip("{}"))
        assert got == want, f"{loc}: header UUID {got}, .vbox {want}"
        info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", f],
                                         check=True, capture_output=True).stdout)
        assert info["format"] == "vdi", info
        subprocess.run(["qemu-img", "check", "-q", f], check=True)
        media[hd.get("uuid")] = loc
    for im in m.iter(NS + "Image"):
        if im.get("location") is not None:
            assert os.path.isfile(os.path.join(d, im.get("location"))), im.get("location")
            media[im.get("uuid")] = im.get("location")
    controllers = (m.find(NS + "StorageControllers") if version.startswith("1.16")
                   else hw.find(NS + "StorageControllers"))
    first = None
    cd = ("ide", "none")
    for sc in controllers.findall(NS + "StorageController"):
        for a in sc.findall(NS + "AttachedDevice"):
            image = a.find(NS + "Image")
            if image is not None:
                assert image.get("uuid") in media, f"{path}: attachment of an unregistered medium"
            if a.get("type") == "HardDisk" and first is None:
                first = (qemu_bus[sc.get("type")], media[image.get("uuid")])
            if a.get("type") == "DVD" and image is not None:
                cd = (qemu_bus[sc.get("type")], media[image.get("uuid")])
    if first:
        print(m.get("name").replace(" ", "_"), first[0] or "-", first[1], cd[0], cd[1])
PY
}

# stand_ins OVF DIR: each disk of OVF a sparse streamOptimized VMDK of its capacity.
stand_ins() {
  python3 - "$1" "$2" <<'PY'
import re, subprocess, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
local = lambda t: t.split("}")[-1]
attr = lambda e, n: next((v for k, v in e.attrib.items() if local(k) == n), None)
files = {attr(e, "id"): attr(e, "href") for e in root.iter() if local(e.tag) == "File"}
for d in (e for e in root.iter() if local(e.tag) == "Disk"):
    ref, cap = attr(d, "fileRef"), attr(d, "capacity") or ""
    u = (attr(d, "capacityAllocationUnits") or "byte").replace(" ", "")
    m = re.fullmatch(r"byte(?:\*2\^(\d+))?", u)
    if ref in files and cap.isdigit() and m:
        size = max(int(cap) * 2 ** int(m.group(1) or 0), 1 << 20)
        subprocess.run(["qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized",
                        sys.argv[2] + "/" + files[ref], str(size)], check=True)
import os
sizes = {attr(e, "href"): attr(e, "size") for e in root.iter() if local(e.tag) == "File"}
for href in files.values():
    p = sys.argv[2] + "/" + href
    if not os.path.exists(p):
        # Other files: sparse, of their declared size, so the package still checks.
        with open(p, "wb") as f:
            size = sizes.get(href) or ""
            f.truncate(int(size) if size.isdigit() and int(size) <= 1 << 40 else 8)
PY
}

for rel in virtualbox/CentOS-6.4-i386-Gnome.ovf vmware-vsphere/win19.ovf cot/ubuntu.2.0.ovf \
  vmware-vsphere/efi-nvram.ovf; do
  [[ -f $corpus/ovf/$rel ]] || fail "$rel is not in the corpus"
  pkg=$T/pkg; rm -rf "$pkg" "$T/vb" "$T/vb.ova"; mkdir "$pkg"
  cp "$corpus/ovf/$rel" "$pkg/"
  stand_ins "$pkg/$(basename "$rel")" "$pkg"
  set +e; "$OVFKIT" convert -q --accept-eula "$pkg" "$T/vb" --to virtualbox >"$T/out" 2>"$T/err"; rc=$?; set -e
  if [[ $rc != 0 ]]; then
    [[ $rc == 1 || $rc == 2 || $rc == 4 ]] || fail "$rel: exit $rc: $(cat "$T/err")"
    (($(grep -c '^ovfkit: error:' "$T/err") == 1)) || fail "$rel: $(cat "$T/err")"
    echo "refused: $rel: $(cat "$T/err")"
    continue
  fi
  check_vbox "$T/vb" >"$T/vms" || fail "$rel: the .vbox files do not match the disks written"
  echo "$rel: $(wc -l <"$T/vms") VM(s) with disks: $(tr '\n' ' ' <"$T/vms")"
  expect_rc 0 "$OVFKIT" convert -q --accept-eula "$pkg" "$T/vb.ova" --to virtualbox-ova
  expect_rc 0 "$OVFKIT" validate "$T/vb.ova"
done

# The test appliance, booted once.
need qemu-system-x86_64
need syslinux
need mcopy
need mkfs.vfat
need cpio
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
export BOOT_CHECK_S=${BOOT_CHECK_S:-400} LIBGUESTFS_BACKEND=direct
token="vbox-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }

password='s3cret & "quoted" <x> a=b'
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/vbox" --to virtualbox --accept-eula \
  --deployment-option large --prop "hostname=guest-$token" --prop "admin_password=$password" \
  --net data=intnet:backend
vbox=$T/vbox/env-guest.vbox
[[ -f $vbox ]] || fail "no env-guest.vbox: $(ls "$T/vbox")"
grep -qF "$password" "$vbox" && fail "the password is in the .vbox"
python3 - "$vbox" <<'PY' || fail "the .vbox does not say what the plan says: $(cat "$vbox")"
import sys, xml.etree.ElementTree as ET
NS = "{http://www.virtualbox.org/}"
m = ET.parse(sys.argv[1]).getroot().find(NS + "Machine")
hw = m.find(NS + "Hardware")
assert m.get("name") == "env-guest", m.get("name")
assert m.get("OSType") == "Linux26_64", m.get("OSType")
assert hw.find(NS + "CPU").get("count") == "2"
assert hw.find(NS + "Memory").get("RAMSize") == "512"
a = hw.find(NS + "Network").findall(NS + "Adapter")
assert [x.get("type") for x in a] == ["virtio", "82545EM"], [x.get("type") for x in a]
assert all(x.get("enabled") == "true" and len(x.get("MACAddress")) == 12 for x in a)
assert a[0].find(NS + "NAT") is not None
assert a[0].find(NS + "DisabledModes/" + NS + "InternalNetwork").get("name") == "mgmt"
assert a[1].find(NS + "InternalNetwork").get("name") == "backend"
PY
check_vbox "$T/vbox" >"$T/vms" || fail "the appliance's .vbox does not match its files"
read -r _ bus disk cdbus iso <"$T/vms"
[[ $bus != - && $iso != none ]] || fail "no QEMU bus or no environment ISO: $(cat "$T/vms")"
BOOT_CONSOLE_LOG="$T/console" \
  "$support/boot-with-cd" "$T/vbox/$disk" vdi "$token" "$bus" "$T/vbox/$iso" "$cdbus" >"$T/got" 2>"$T/boot.err" ||
  { cat "$T/got" "$T/boot.err" >&2; fail "the exported VDI did not boot on $bus with the CD on $cdbus"; }
for want in "OVF-ENV found" "OVF-PROP hostname=guest-$token" "OVF-PROP admin_password=$password"; do
  grep -qxF "$want" "$T/got" || { cat "$T/got" "$T/console" >&2; fail "the guest did not print: $want"; }
done
echo "booted from $disk on $bus, environment on $cdbus: $(grep -c '^OVF-PROP ' "$T/got") properties read"

expect_rc 0 "$OVFKIT" convert -q "$T/app.ova" "$T/vbox.ova" --to virtualbox-ova --accept-eula \
  --deployment-option large
expect_rc 0 "$OVFKIT" validate "$T/vbox.ova"
if command -v virt-v2v >/dev/null; then
  expect_rc 0 virt-v2v -i ova "$T/vbox.ova" --print-source
  grep -Eq '^\s*nr vCPUs: 2$' "$T/out" || fail "virt-v2v: $(cat "$T/out")"
  grep -Eq '^\s*memory: 536870912 \(bytes\)$' "$T/out" || fail "virt-v2v: $(cat "$T/out")"
  echo "virt-v2v reads the virtualbox-ova export"
fi
echo ok
