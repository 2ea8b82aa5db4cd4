#!/usr/bin/env bash
# `ovfkit convert VM.vbox OUT.ova` (docs/import.md, VirtualBox):
#   - every corpus .vbox imports into an OVA whose envelope validates
#     against the DMTF schema, its media relocated beside it as small
#     stand-in VDIs (their absolute locations are refused by default, R2),
#     with the CPUs, memory, disk buses/units and NICs of the file;
#   - a snapshot chain (base.vdi <- Snapshots/{uuid}.vdi, a differencing VDI
#     written by tests/support/make-vdi) flattens to bytes qemu-img compare
#     accepts against the expected raw image;
#   - hostile settings are refused with exit 4 and nothing written: '..',
#     an absolute location, /dev, a registry loop, a parent whose UUID is not
#     the one the child names, a 10 MB attribute, 100 000 elements;
#   - the test appliance exported with --to virtualbox and imported back
#     plans like the original except what the export reported, and its disk
#     compares identical and boots on the bus the .vbox gives it (one boot;
#     OVFKIT_SKIP_BOOT=1 skips it).
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/vbox ]] || skip "the shared corpus is not beside the checkout"
support=$OVFKIT_SOURCE_DIR/tests/support

plan_json() {
  "$OVFKIT" convert "$1" "$T/plan-out" --to ovf --dry-run --json --accept-eula "${@:2}"
}

imported=0
for vb in "$corpus"/vbox/*.vbox; do
  name=$(basename "$vb" .vbox)
  d=$T/c/$name; mkdir -p "$d"; cp "$vb" "$d/orig.vbox"
  # As written: absolute media locations, refused.
  expect_rc 4 "$OVFKIT" convert -q "$d/orig.vbox" "$T/c/$name-abs.ova"
  grep -q 'an absolute path' "$T/err" || fail "$name: $(cat "$T/err")"
  # Relocated: each HardDisk beside the .vbox, a 64 MiB stand-in VDI.
  python3 - "$d/orig.vbox" "$d/$name.vbox" "$d" <<'PY'
import re, subprocess, sys
text = open(sys.argv[1], encoding="latin-1").read()
def relocate(m):
    base = m.group(2).rsplit("/", 1)[-1]
    subprocess.run(["qemu-img", "create", "-q", "-f", "vdi", sys.argv[3] + "/" + base, "64M"], check=True)
    return m.group(1) + base + '"'
text = re.sub(r'(<HardDisk [^>]*location=")([^"]*)"', relocate, text)
open(sys.argv[2], "w", encoding="latin-1").write(text)
PY
  rm "$d/orig.vbox"
  expect_rc 0 "$OVFKIT" convert -q "$d/$name.vbox" "$T/c/$name.ova"
  expect_rc 0 "$OVFKIT" validate --schema "$T/c/$name.ova"
  expect_rc 0 "$OVFKIT" convert -q "$d" "$T/c/$name-dir.ova"
  expect_rc 0 plan_json "$d/$name.vbox" --keep-macs
  python3 - "$d/$name.vbox" "$T/out" <<'PY' || fail "$name: the plan is not the .vbox: $(cat "$T/out")"
import json, sys, xml.etree.ElementTree as ET
(vm,) = json.load(open(sys.argv[2]))["vms"]
root = ET.parse(sys.argv[1]).getroot()
for e in root.iter():
    e.tag = e.tag.split("}")[-1]  # the settings namespace varies by version
m = root.find("Machine")
hw = m.find("Hardware")
cpu = hw.find("CPU")
assert vm["cpus"] == int(cpu.get("count", "1") if cpu is not None else 1), vm["cpus"]
assert vm["memory_bytes"] == int(hw.find("Memory").get("RAMSize")) << 20, vm["memory_bytes"]
assert vm["firmware"] == "bios", vm["firmware"]
ctrls = {c["id"]: c for c in vm["controllers"]}
want = []
for sc in m.iter("StorageController"):
    per = 2 if sc.get("type") in ("PIIX3", "PIIX4", "ICH6") else 1
    bus = {"PIIX3": "ide", "PIIX4": "ide", "ICH6": "ide", "AHCI": "sata", "NVMe": "nvme"}.get(sc.get("type"), "scsi")
    for ad in sc.findall("AttachedDevice"):
        if ad.get("type") == "HardDisk":
            want.append((bus, int(ad.get("port")) * per + int(ad.get("device"))))
got = [(ctrls[d["controller"]]["bus"], d["unit"]) for d in vm["disks"]]
assert got == want, (got, want)
assert all(d["capacity_bytes"] == 64 << 20 for d in vm["disks"]), vm["disks"]
adapters = [a for a in hw.find("Network") if a.get("enabled") == "true"]
assert len(vm["nics"]) == len(adapters), vm["nics"]
for n, a in zip(vm["nics"], adapters):
    mac = a.get("MACAddress").lower()
    assert n["mac"] == ":".join(mac[i:i + 2] for i in range(0, 12, 2)), (n, mac)
    assert n["model"] == {"82540EM": "e1000", "Am79C973": "pcnet", "virtio": "virtio"}[a.get("type")], n
PY
  imported=$((imported + 1))
done
((imported >= 1)) || fail "no corpus .vbox imported"

# A snapshot chain: base.vdi <- Snapshots/{uuid}.vdi, flattened.
c=$T/chain; mkdir -p "$c/Snapshots"
python3 - "$c" <<'PY'
import sys
d = sys.argv[1]
base = bytearray(8 << 20)
base[0:4096] = b"base" * 1024
base[(3 << 20) + 5:(3 << 20) + 5 + 4000] = b"B" * 4000
open(d + "/base.raw", "wb").write(base)
top = bytearray(base)
top[(1 << 20) + 512:(1 << 20) + 1024] = b"T" * 512   # a new block
top[(3 << 20):(4 << 20)] = bytes(1 << 20)               # discarded: zeros over the parent's data
top[(7 << 20) - 10:(7 << 20) + 10] = b"X" * 20          # across a block boundary
open(d + "/top.raw", "wb").write(top)
PY
u1=$("$support/make-vdi" "$c/base.raw" "$c/base.vdi")
u2=$(uuidgen 2>/dev/null || python3 -c 'import uuid; print(uuid.uuid4())')
"$support/make-vdi" --uuid "$u2" --parent "$c/base.vdi" --parent-raw "$c/base.raw" "$c/top.raw" "$c/Snapshots/{$u2}.vdi" >/dev/null
expect_rc 0 qemu-img compare -q -f vdi -F raw "$c/base.vdi" "$c/base.raw"
chain_vbox() { # REGISTRY ATTACHED-UUID > vbox
  cat <<EOF
<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Machine uuid="{6f3c1d2e-0000-4000-8000-00000000c4a1}" name="chain" OSType="Debian_64" currentSnapshot="{6f3c1d2e-0000-4000-8000-00000000c4a2}">
    <MediaRegistry><HardDisks>$1</HardDisks></MediaRegistry>
    <Hardware><CPU count="2"/><Memory RAMSize="256"/></Hardware>
    <StorageControllers><StorageController name="SATA" type="AHCI" PortCount="1">
      <AttachedDevice type="HardDisk" port="0" device="0"><Image uuid="{$2}"/></AttachedDevice>
    </StorageController></StorageControllers>
    <Snapshot uuid="{6f3c1d2e-0000-4000-8000-00000000c4a2}" name="s1"/>
  </Machine>
</VirtualBox>
EOF
}
reg="<HardDisk uuid=\"{$u1}\" location=\"base.vdi\" format=\"VDI\"><HardDisk uuid=\"{$u2}\" location=\"Snapshots/{$u2}.vdi\" format=\"VDI\"/></HardDisk>"
chain_vbox "$reg" "$u2" >"$c/chain.vbox"
expect_rc 0 "$OVFKIT" convert -q "$c/chain.vbox" "$T/chain.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/chain.ova"
mkdir "$T/chain-x" && tar xf "$T/chain.ova" -C "$T/chain-x"
expect_rc 0 qemu-img compare -q -F raw "$T/chain-x/$(cd "$T/chain-x" && ls *.vmdk)" "$c/top.raw"
expect_rc 0 "$OVFKIT" convert "$c/chain.vbox" "$T/chain2.ova" --json
grep -q 'IMPORT-SNAPSHOTS' "$T/out" || fail "chain: the dropped snapshots are not noted: $(cat "$T/out")"

# Hostile settings: exit 4, one clear line, nothing written.
hostile() { # NAME EXPECTED-TEXT: imports $T/h/NAME/vm.vbox
  local dir=$T/h/$1
  set +e; "$OVFKIT" convert -q "$dir/vm.vbox" "$T/h/$1.ova" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == 4 ]] || fail "$1: exit $rc, expected 4: $(cat "$T/err")"
  grep -qF -- "$2" "$T/err" || fail "$1: the message does not say '$2': $(cat "$T/err")"
  [[ $(wc -l <"$T/err") -le 1 ]] || fail "$1: more than one line: $(cat "$T/err")"
  [[ ! -e $T/h/$1.ova ]] || fail "$1: refused but wrote the OVA"
}
newvm() { # NAME LOCATION
  mkdir -p "$T/h/$1"
  chain_vbox "<HardDisk uuid=\"{$u1}\" location=\"$2\" format=\"VDI\"/>" "$u1" >"$T/h/$1/vm.vbox"
}
newvm dotdot ../../chain/base.vdi; hostile dotdot "vm.vbox:4: HardDisk $u1 location \"../../chain/base.vdi\": a path out of the VM's directory"
newvm absolute "$c/base.vdi"; hostile absolute 'an absolute path'
newvm device /dev/null; hostile device 'a host device'
mkdir -p "$T/h/loop"
chain_vbox "<HardDisk uuid=\"{$u1}\" location=\"a.vdi\" format=\"VDI\"><HardDisk uuid=\"{$u2}\" location=\"b.vdi\" format=\"VDI\"><HardDisk uuid=\"{$u1}\" location=\"c.vdi\" format=\"VDI\"/></HardDisk></HardDisk>" "$u1" >"$T/h/loop/vm.vbox"
hostile loop 'forms a loop'
# The child's header names base.vdi's UUID; the registry puts it under another base.
mkdir -p "$T/h/mismatch/Snapshots"
qemu-img convert -q -f raw -O vdi "$c/base.raw" "$T/h/mismatch/other.vdi"
cp "$c/Snapshots/{$u2}.vdi" "$T/h/mismatch/Snapshots/"
u3=$(python3 -c 'import uuid; print(uuid.uuid4())')
chain_vbox "<HardDisk uuid=\"{$u3}\" location=\"other.vdi\" format=\"VDI\"><HardDisk uuid=\"{$u2}\" location=\"Snapshots/{$u2}.vdi\" format=\"VDI\"/></HardDisk>" "$u2" >"$T/h/mismatch/vm.vbox"
hostile mismatch "the child names $u1 at offset 424"
mkdir -p "$T/h/longattr"
python3 -c 'import sys; open(sys.argv[1],"w").write("<?xml version=\"1.0\"?><VirtualBox version=\"1.19\"><Machine uuid=\"{6f3c1d2e-0000-4000-8000-00000000c4a1}\" name=\"" + "x"*(10<<20) + "\"/></VirtualBox>")' "$T/h/longattr/vm.vbox"
hostile longattr 'a .vbox is at most'
mkdir -p "$T/h/elements"
python3 -c 'import sys; open(sys.argv[1],"w").write("<?xml version=\"1.0\"?><VirtualBox version=\"1.19\"><Machine uuid=\"{6f3c1d2e-0000-4000-8000-00000000c4a1}\" name=\"m\"><ExtraData>" + "<E/>"*100000 + "</ExtraData><Hardware><Memory RAMSize=\"5\"/></Hardware></Machine></VirtualBox>")' "$T/h/elements/vm.vbox"
hostile elements 'element'
# Allowed, an absolute location is read.
expect_rc 0 "$OVFKIT" convert -q --allow-absolute-paths "$T/h/absolute/vm.vbox" "$T/h/absolute.ova"

# Round trip: the test appliance -> --to virtualbox -> imported back.
token="import-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/vb" --to virtualbox --accept-eula --json \
  --prop admin_password=secret123
cp "$T/out" "$T/export.json"
vbox=$(ls "$T/vb"/*.vbox)
expect_rc 0 "$OVFKIT" convert -q "$vbox" "$T/back.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 plan_json "$T/app.ova" --prop admin_password=secret123
cp "$T/out" "$T/orig.plan.json"
expect_rc 0 plan_json "$T/back.ova"
cp "$T/out" "$T/back.plan.json"
python3 - "$T/orig.plan.json" "$T/export.json" "$T/back.plan.json" <<'PY' || fail "round trip: another VM"
import json, re, sys
(orig,) = json.load(open(sys.argv[1]))["vms"]
export = json.load(open(sys.argv[2]))
(exp,) = export["vms"]
(back,) = json.load(open(sys.argv[3]))["vms"]
noted = {n["code"] for n in export.get("notes", [])}
for k in ("cpus", "memory_bytes", "firmware"):
    assert back[k] == orig[k], (k, back[k], orig[k])
# VirtualBox's OSType is coarser than the OS table (Linux26_64 is Linux 2.6
# to 6.x); the .vbox also names the row (ExtraData ovfkit/GuestOS), so the
# same row comes back.
assert back["os"]["key"] == orig["os"]["key"], (back["os"], orig["os"])
def disks(vm):
    c = {x["id"]: x for x in vm["controllers"]}
    return [(c[d["controller"]]["bus"], c[d["controller"]]["model"].lower(), d["unit"], d["capacity_bytes"]) for d in vm["disks"]]
assert disks(back) == disks(orig) or (noted and [d[:3] for d in disks(back)] == [(b, {"piix4": "piix4"}.get(m, m), u) for b, m, u, _ in disks(exp)]), (disks(back), disks(orig), disks(exp))
nics = lambda vm: [(n["model"], n["network"]) for n in vm["nics"]]
assert [m for m, _ in nics(back)] == [m for m, _ in nics(orig)] or "nic-model" in noted, (nics(back), nics(orig))
PY
mkdir "$T/back-x" "$T/app-x" && tar xf "$T/back.ova" -C "$T/back-x" && tar xf "$T/app.ova" -C "$T/app-x"
expect_rc 0 "$OVFKIT" disk compare "$T/app-x/env-guest-disk1.vmdk" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)"
expect_rc 0 qemu-img compare -q "$T/app-x/env-guest-disk1.vmdk" "$(ls "$T/vb"/*.vdi | head -1)"
# The imported disk boots on the bus the imported plan gives it (one boot).
if [[ -z ${OVFKIT_SKIP_BOOT:-} ]] && command -v qemu-system-x86_64 >/dev/null; then
  bus=$(boot_bus "$T/back.plan.json")
  BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)" vmdk "$token" "$bus" none >/dev/null ||
    fail "the imported disk does not boot on $bus"
fi
echo ok
