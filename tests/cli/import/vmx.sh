#!/usr/bin/env bash
# `ovfkit convert VM.vmx OUT.ova` (docs/import.md):
#   - every corpus .vmx, with small stand-in disks for the VMDKs it names
#     (one a descriptor with a flat extent), imports into an OVA whose
#     envelope validates against the DMTF schema, with the CPUs, memory,
#     disk buses and NICs virt-v2v's VMX reader reports for the same file;
#   - a VMDK descriptor with a flat extent is read whole (qemu-img compares
#     the OVA's disk with the data); a snapshot (-000001.vmdk, a delta
#     made by qemu-img and written into by qemu-io) is imported flattened:
#     the OVA's disk compares identical to `qemu-img convert` of the
#     snapshot; one whose parent's CID changed is refused with exit 4;
#   - hostile configs are refused with exit 4 and nothing written: a disk at
#     /etc/shadow, '..', a symlink out of the directory, a VMDK whose extent
#     leaves the directory, a 10 MB line, 100 000 keys, a NUL byte;
#   - the test appliance exported with --to vmware and imported back plans
#     like the original except what the export reported, its disk compares
#     identical, and it boots (one boot).
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/vmx ]] || skip "the shared corpus is not beside the checkout"
support=$OVFKIT_SOURCE_DIR/tests/support
export LIBGUESTFS_BACKEND=direct
v2v=$(command -v virt-v2v || true)

# stand_ins VMX DIR: the relative .vmdk files VMX names, as small VMDKs
# (a descriptor + flat extent for names containing "desc").
stand_ins() {
  python3 - "$1" "$2" <<'PY'
import re, subprocess, sys
for key, value in re.findall(r'^(\S+)\s*=\s*"([^"]*)"', open(sys.argv[1]).read(), re.M):
    if key.lower().endswith(".filename") and value.endswith(".vmdk") and "/" not in value:
        sub = "monolithicFlat" if "desc" in value else "monolithicSparse"
        subprocess.run(["qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=" + sub,
                        sys.argv[2] + "/" + value, "64M"], check=True)
PY
}

# plan_json SOURCE: the neutral plan of SOURCE (an OVA or a .vmx), as JSON.
plan_json() {
  "$OVFKIT" convert "$1" "$T/plan-out" --to ovf --dry-run --json --accept-eula "${@:2}"
}

imported=0
for vmx in "$corpus"/vmx/*.vmx; do
  name=$(basename "$vmx" .vmx)
  d=$T/c/$name; mkdir -p "$d"; cp "$vmx" "$d/"
  stand_ins "$vmx" "$d"
  expect_rc 0 "$OVFKIT" convert -q "$d/$name.vmx" "$T/c/$name.ova"
  expect_rc 0 "$OVFKIT" validate --schema "$T/c/$name.ova"
  # Importing the directory is the same.
  expect_rc 0 "$OVFKIT" convert -q "$d" "$T/c/$name-dir.ova"
  expect_rc 0 plan_json "$d/$name.vmx" --keep-macs
  cp "$T/out" "$T/c/$name.plan.json"
  if [[ -n $v2v ]]; then
    expect_rc 0 virt-v2v -i vmx "$d/$name.vmx" --print-source
    python3 - "$T/c/$name.plan.json" "$T/out" <<'PY' || fail "$name: virt-v2v reads another VM: $(cat "$T/out")"
import json, re, sys
(vm,) = json.load(open(sys.argv[1]))["vms"]
v2v = open(sys.argv[2]).read()
field = lambda n: re.search(r"^\s*%s: (.*)$" % re.escape(n), v2v, re.M).group(1).strip()
assert field("nr vCPUs") == str(vm["cpus"]), (field("nr vCPUs"), vm["cpus"])
assert field("memory") == "%d (bytes)" % vm["memory_bytes"], field("memory")
assert field("firmware") in (vm["firmware"], {"efi": "uefi"}.get(vm["firmware"])), field("firmware")
ctrl = {c["id"]: c["bus"] for c in vm["controllers"]}
buses = sorted(ctrl[d["controller"]] for d in vm["disks"])
v2v_disks = sorted(re.findall(r"^\t\d+ \[(\w+)\]$", v2v.split("disks:")[1].split("removable media:")[0], re.M))
assert buses == v2v_disks, (buses, v2v_disks)
nics = re.findall(r'^\t\w+ "([^"]*)"(?: mac: ([0-9a-f:]+))?(?: \[(\w+)\])?$', v2v.split("NICs:")[1], re.M)
ours = [(n["network"], n["mac"] or "", n["model"]) for n in vm["nics"]]
assert len(nics) == len(ours), (nics, ours)
for (net, mac, model), (onet, omac, omodel) in zip(nics, ours):
    # virt-v2v names the network only when the .vmx does (networkName).
    assert net == onet or net in ("", "VM Network") or onet in ("bridged", "nat", "hostonly"), (net, onet)
    assert mac == omac, (mac, omac)
    # virt-v2v names no model when the .vmx names none (we note e1000).
    assert model == omodel or model == "", (model, omodel)
PY
  fi
  imported=$((imported + 1))
done
((imported >= 7)) || fail "only $imported corpus .vmx files imported"

# A snapshot chain: read through the delta into its parent, flattened as
# qemu-img flattens it.
c=$T/chain; mkdir "$c"
python3 -c 'import sys; f=open(sys.argv[1],"wb"); f.truncate(8<<20); f.seek(1<<20); f.write(b"base"*4096)' "$c/base.raw"
qemu-img convert -q -f raw -O vmdk "$c/base.raw" "$c/vm.vmdk"
qemu-img create -q -f vmdk -b vm.vmdk -F vmdk "$c/vm-000001.vmdk"
qemu-io -f vmdk -c 'write -P 0x5a 1049600 1024' -c 'write -P 0xa5 6291456 65536' "$c/vm-000001.vmdk" >/dev/null
qemu-img convert -q -f vmdk -O raw "$c/vm-000001.vmdk" "$c/flat.raw"
printf 'displayName = "chain"\nmemsize = "256"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "vm-000001.vmdk"\n' >"$c/vm.vmx"
expect_rc 0 "$OVFKIT" convert -q "$c/vm.vmx" "$T/chain.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/chain.ova"
mkdir "$T/chain-x" && tar xf "$T/chain.ova" -C "$T/chain-x"
expect_rc 0 qemu-img compare -q "$T/chain-x/$(cd "$T/chain-x" && ls *.vmdk)" "$c/flat.raw"
# The parent changed after the snapshot (a new CID): refused, as VMware does.
mkdir "$c/cid" && cp "$c/vm.vmdk" "$c/vm-000001.vmdk" "$c/vm.vmx" "$c/cid/"
python3 - "$c/cid/vm.vmdk" <<'PY'
import re, sys
b = bytearray(open(sys.argv[1], "rb").read())
# qemu writes the CID as %x: 1 to 8 digits; one of them changed.
m = re.search(rb"\nCID=([0-9a-f]{1,8})\n", b)
b[m.start(1)] = ord("1") if b[m.start(1)] != ord("1") else ord("2")
open(sys.argv[1], "wb").write(b)
PY
expect_rc 4 "$OVFKIT" convert -q "$c/cid/vm.vmx" "$T/cid.ova"
grep -q "delta link: parent 'vm.vmdk' has CID .*: the parent changed after the snapshot was taken" "$T/err" || fail "cid: $(cat "$T/err")"
[[ ! -e $T/cid.ova ]] || fail "cid: refused but wrote the OVA"
# A descriptor with a flat extent is read whole: the OVA's disk is its data.
qemu-img convert -q -f raw -O vmdk -o subformat=monolithicFlat "$c/base.raw" "$c/flat.vmdk"
sed 's/vm-000001.vmdk/flat.vmdk/' "$c/vm.vmx" >"$c/flat.vmx"
mkdir "$c/f" && mv "$c/flat.vmdk" "$c/flat-flat.vmdk" "$c/flat.vmx" "$c/f/"
expect_rc 0 "$OVFKIT" convert -q "$c/f/flat.vmx" "$T/flat.ova"
mkdir "$T/flat-x" && tar xf "$T/flat.ova" -C "$T/flat-x"
expect_rc 0 qemu-img compare -q "$T/flat-x/$(cd "$T/flat-x" && ls *.vmdk)" "$c/base.raw"

# Hostile configs: exit 4, one clear line, nothing written.
hostile() { # NAME EXPECTED-TEXT: imports $T/h/NAME/vm.vmx
  local dir=$T/h/$1
  set +e; "$OVFKIT" convert -q "$dir/vm.vmx" "$T/h/$1.ova" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == 4 ]] || fail "$1: exit $rc, expected 4: $(cat "$T/err")"
  grep -q -- "$2" "$T/err" || fail "$1: the message does not say '$2': $(cat "$T/err")"
  [[ ! -e $T/h/$1.ova ]] || fail "$1: refused but wrote the OVA"
}
newvm() { mkdir -p "$T/h/$1"; printf 'memsize = "256"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "%s"\n' "$2" >"$T/h/$1/vm.vmx"; }
newvm shadow /etc/shadow; hostile shadow 'vm.vmx:4: scsi0:0.fileName "/etc/shadow": an absolute path'
newvm dotdot ../chain/vm.vmdk; hostile dotdot "a path out of the VM's directory"
newvm symlink link.vmdk; ln -s "$c/vm.vmdk" "$T/h/symlink/link.vmdk"; hostile symlink 'link.vmdk'
newvm extent esc.vmdk
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 16384 FLAT "../../chain/base.raw" 0\nddb.virtualHWVersion = "4"\n' >"$T/h/extent/esc.vmdk"
hostile extent 'base.raw'
mkdir -p "$T/h/longline"; python3 -c 'import sys; open(sys.argv[1],"w").write("displayName = \"" + "x"*(10<<20) + "\"\n")' "$T/h/longline/vm.vmx"
hostile longline 'a line of'
mkdir -p "$T/h/keys"; python3 -c 'import sys; open(sys.argv[1],"w").write("".join("guestinfo.k%d = \"v\"\n" % i for i in range(100000)))' "$T/h/keys/vm.vmx"
hostile keys 'more than 20000 entries'
mkdir -p "$T/h/nul"; printf 'memsize = "256"\ndisplayName = "a\0b"\n' >"$T/h/nul/vm.vmx"; hostile nul 'NUL byte'
# Allowed, an absolute path is read.
newvm absolute "$c/vm.vmdk"
expect_rc 0 "$OVFKIT" convert -q --allow-absolute-paths "$T/h/absolute/vm.vmx" "$T/h/absolute.ova"

# Round trip: the test appliance -> --to vmware -> imported back.
token="import-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/vmw" --to vmware --accept-eula --json \
  --prop admin_password=secret123
cp "$T/out" "$T/export.json"
vmx=$(ls "$T/vmw"/*.vmx)
expect_rc 0 "$OVFKIT" convert -q "$vmx" "$T/back.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 plan_json "$T/app.ova" --prop admin_password=secret123
cp "$T/out" "$T/orig.plan.json"
expect_rc 0 plan_json "$T/back.ova"
cp "$T/out" "$T/back.plan.json"
read -r bus < <(python3 - "$T/orig.plan.json" "$T/export.json" "$T/back.plan.json" <<'PY'
import json, sys
(orig,) = json.load(open(sys.argv[1]))["vms"]
export = json.load(open(sys.argv[2]))
(exp,) = export["vms"]
(back,) = json.load(open(sys.argv[3]))["vms"]
noted = {n["code"] for n in export.get("notes", [])}
for k in ("cpus", "memory_bytes", "firmware", "secure_boot"):
    assert back[k] == orig[k], (k, back[k], orig[k])
assert back["os"]["key"] == orig["os"]["key"] or "os-unmapped" in noted, (back["os"], orig["os"])
def disks(vm):
    c = {x["id"]: x for x in vm["controllers"]}
    return [(c[d["controller"]]["bus"], c[d["controller"]]["model"], d["unit"], d["capacity_bytes"]) for d in vm["disks"]]
# Disks: as the original states them, or as the export translated them (noted).
assert disks(back) == disks(orig) or (disks(back) == [(b, m, u, disks(orig)[i][3]) for i, (b, m, u, _) in enumerate(disks(exp))] and noted), (disks(back), disks(orig), disks(exp))
nics = lambda vm: [(n["model"], n["network"]) for n in vm["nics"]]
assert nics(back) == nics(orig) or (nics(back) == nics(exp) and "nic-model" in noted), (nics(back), nics(orig))
c = {x["id"]: x for x in back["controllers"]}
(boot,) = [d for d in back["disks"] if d["boot"]]
print({"lsilogic": "lsi", "pvscsi": "pvscsi", "ahci": "sata", "piix4": "ide", "virtio-scsi": "scsi"}[c[boot["controller"]]["model"]])
PY
)
mkdir "$T/back-x" "$T/app-x" && tar xf "$T/back.ova" -C "$T/back-x" && tar xf "$T/app.ova" -C "$T/app-x"
expect_rc 0 "$OVFKIT" disk compare "$T/app-x/env-guest-disk1.vmdk" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)"
BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)" vmdk "$token" "$bus" none >/dev/null ||
  fail "the imported disk does not boot on $bus"
echo ok
