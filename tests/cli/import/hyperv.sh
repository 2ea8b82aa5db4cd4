#!/usr/bin/env bash
# `ovfkit convert EXPORT-DIR OUT.ova` for Hyper-V (docs/import.md "Hyper-V"):
#   - `ovfkit hyperv-collector` prints the collector script, and `ovfkit
#     version` lists the importer;
#   - the test appliance exported with --to hyperv, laid out as Export-VM
#     lays out a VM ("Virtual Machines", "Virtual Hard Disks") with a
#     collector JSON written from hyperv.json in the shape the collector
#     writes, imports into an OVA that validates and plans like the export
#     (generation, CPUs, memory, firmware, drive locations, adapters and
#     switches), and its disk compares identical to the appliance's and boots
#     on the bus the collector JSON gives it (one boot; OVFKIT_SKIP_BOOT=1
#     skips it);
#   - hostile exports are refused with exit 4 (or 1 for a JSON that does
#     not read) and nothing written: no collector JSON, '..' and absolute
#     disk paths, a disk the export does not hold, a 10 MB string, 100 000
#     keys, a "Virtual Hard Disks" that is a link, a disk that is a link out
#     of the export.
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
support=$OVFKIT_SOURCE_DIR/tests/support

expect_rc 0 "$OVFKIT" hyperv-collector
grep -q "schema = 'ovfkit-hyperv-collector/1'" "$T/out" || fail "the collector script: $(head -5 "$T/out")"
grep -q "ConvertTo-Json -InputObject \$doc -Depth 8" "$T/out" || fail "the collector does not write JSON"
expect_rc 0 "$OVFKIT" version
grep -q "^  hyperv " "$T/out" || fail "ovfkit version does not list the hyperv importer"

# collector_json SUMMARY OUT DISKS_DIR: the collector's JSON for the VM
# hyperv.json describes, as Get-VM on the host would report it after
# import.ps1 ran (Windows paths, enum names, MACs as 12 hex digits).
collector_json() {
  python3 - "$@" <<'PY'
import json, sys
summary, out = sys.argv[1:3]
doc = json.load(open(summary))
vms = []
for vm in doc["vms"]:
    base = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V\\" + vm["name"] + "\\Virtual Hard Disks\\"
    mem = vm["memory"]
    fw = vm["firmware"]
    vms.append({
        "Name": vm["name"], "Id": "0f6e1c53-2a44-4a4c-8e0f-2d7f1b6f0a01",
        "Generation": vm["generation"], "Version": "9.0", "State": "Off",
        "ProcessorCount": vm["processors"],
        "Memory": {"Startup": mem["startup_bytes"], "DynamicMemoryEnabled": mem["dynamic"],
                   "Minimum": mem.get("minimum_bytes", 536870912),
                   "Maximum": mem.get("maximum_bytes", 1099511627776)},
        "Firmware": {"SecureBoot": "On" if fw["secure_boot"] else "Off",
                     "SecureBootTemplate": fw["secure_boot_template"]} if vm["generation"] == 2 else None,
        "Security": {"TpmEnabled": fw.get("tpm", False)},
        "HardDrives": [{"Path": base + d["file"], "ControllerType": d["controller_type"],
                        "ControllerNumber": d["controller_number"],
                        "ControllerLocation": d["controller_location"], "DiskNumber": None}
                       for d in vm["disks"]],
        "DvdDrives": [{"Path": (base + c["file"]) if c["file"] else None,
                       "ControllerType": c["controller_type"],
                       "ControllerNumber": c["controller_number"],
                       "ControllerLocation": c["controller_location"],
                       "DvdMediaType": "ISO" if c["file"] else "None"} for c in vm["dvd_drives"]],
        "NetworkAdapters": [{"Name": n["name"], "SwitchName": n["switch"],
                             "MacAddress": n["static_mac"] or "00155D00%04X" % i,
                             "DynamicMacAddressEnabled": n["static_mac"] is None,
                             "IsLegacy": n["legacy"]} for i, n in enumerate(vm["network_adapters"])],
        "Notes": vm.get("notes", ""),
    })
json.dump({"schema": "ovfkit-hyperv-collector/1", "vms": vms}, open(out, "w"), indent=2)
PY
}

# plan_json SOURCE: the neutral plan of SOURCE, as JSON.
plan_json() {
  "$OVFKIT" convert "$1" "$T/plan-out" --to ovf --dry-run --json --accept-eula "${@:2}"
}

# Hostile exports: a small VHDX and a JSON naming it; each case changes one thing.
h=$T/h/base; mkdir -p "$h/Virtual Machines" "$h/Virtual Hard Disks"
qemu-img create -q -f vhdx "$h/Virtual Hard Disks/vm.vhdx" 8M
cat >"$T/h/vm.json" <<'EOF'
{"schema": "ovfkit-hyperv-collector/1", "vms": [{"Name": "vm", "Generation": 2, "ProcessorCount": 1,
 "Memory": {"Startup": 536870912, "DynamicMemoryEnabled": false},
 "Firmware": {"SecureBoot": "Off"},
 "HardDrives": [{"Path": "C:\\VMs\\vm\\Virtual Hard Disks\\vm.vhdx", "ControllerType": "SCSI",
                 "ControllerNumber": 0, "ControllerLocation": 0}],
 "NetworkAdapters": []}]}
EOF
cp "$T/h/vm.json" "$h/vm.json"
expect_rc 0 "$OVFKIT" convert -q "$h" "$T/h/base.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/h/base.ova"
# hostile NAME RC EXPECTED-TEXT: imports $T/h/NAME
hostile() {
  set +e; "$OVFKIT" convert -q "$T/h/$1" "$T/h/$1.ova" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == "$2" ]] || fail "$1: exit $rc, expected $2: $(cat "$T/err")"
  grep -qF -- "$3" "$T/err" || fail "$1: the message does not say '$3': $(cat "$T/err")"
  [[ $(wc -l <"$T/err") == 1 ]] || fail "$1: not one line: $(cat "$T/err")"
  [[ ! -e $T/h/$1.ova ]] || fail "$1: refused but wrote the OVA"
}
# variant NAME PYTHON-EXPR: a copy of the base export whose JSON `j` is changed.
variant() {
  cp -a "$h" "$T/h/$1"
  python3 - "$T/h/$1/vm.json" "$2" <<'PY'
import json, sys
path, expr = sys.argv[1:3]
j = json.load(open(path))
exec(expr)
json.dump(j, open(path, "w"))
PY
}
cp -a "$h" "$T/h/nojson"; rm "$T/h/nojson/vm.json"
hostile nojson 4 "ovfkit does not read .vmcx; run \`ovfkit hyperv-collector\`"
variant dotdot 'j["vms"][0]["HardDrives"][0]["Path"] = "C:\\VMs\\..\\..\\vm.vhdx"'
# (shown() writes a backslash as \x5c)
hostile dotdot 4 "vms[0].HardDrives[0].Path: \"C:\\x5cVMs\\x5c..\\x5c..\\x5cvm.vhdx\": a '..' component"
variant absolute 'j["vms"][0]["HardDrives"][0]["Path"] = "/etc/shadow"'
hostile absolute 4 'not a Windows path'
variant missing 'j["vms"][0]["HardDrives"][0]["Path"] = "D:\\other\\other.vhdx"'
hostile missing 4 "the export holds no 'other.vhdx'"
variant longstring 'j["vms"][0]["Notes"] = "x" * (10 << 20)'
hostile longstring 4 'more than the limit of 4194304 bytes'
variant keys 'j["vms"][0]["Extra"] = {"k%d" % i: 0 for i in range(100000)}'
hostile keys 4 'more than 20000 keys'
variant wrongtype 'j["vms"][0]["ProcessorCount"] = "many"'
hostile wrongtype 1 'vms[0].ProcessorCount: string where an integer belongs'
cp -a "$h" "$T/h/linkdir"; rm -r "$T/h/linkdir/Virtual Hard Disks"; ln -s "$h/Virtual Hard Disks" "$T/h/linkdir/Virtual Hard Disks"
hostile linkdir 4 'no "Virtual Hard Disks" folder beside it (a link is not followed)'
cp -a "$h" "$T/h/linkdisk"; rm "$T/h/linkdisk/Virtual Hard Disks/vm.vhdx"
ln -s "$h/Virtual Hard Disks/vm.vhdx" "$T/h/linkdisk/Virtual Hard Disks/vm.vhdx"
hostile linkdisk 4 'a symbolic link'

# Round trip: the test appliance -> --to hyperv -> an Export-VM layout -> imported back.
token="hvimport-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/hv" --to hyperv --accept-eula --json \
  --prop admin_password=secret123
cp "$T/out" "$T/export.json"
x=$T/export/env-guest; mkdir -p "$x/Virtual Machines" "$x/Virtual Hard Disks"
for f in "$T/hv"/*; do
  case $f in *.vhdx|*.vhd|*.iso) cp "$f" "$x/Virtual Hard Disks/";; esac
done
collector_json "$T/hv/hyperv.json" "$x/env-guest.json"
expect_rc 0 "$OVFKIT" convert -q "$x" "$T/back.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 plan_json "$T/back.ova"
cp "$T/out" "$T/back.plan.json"
python3 - "$T/export.json" "$T/back.plan.json" "$T/hv/hyperv.json" <<'PY' || fail "the import does not plan like the export"
import json, sys
(exp,) = json.load(open(sys.argv[1]))["vms"]
(back,) = json.load(open(sys.argv[2]))["vms"]
(summary,) = json.load(open(sys.argv[3]))["vms"]
for k in ("cpus", "memory_bytes", "firmware"):
    assert back[k] == exp[k], (k, back[k], exp[k])
def drives(vm, what):
    c = {x["id"]: x for x in vm["controllers"]}
    return [(c[d["controller"]]["bus"], c[d["controller"]]["index"], d["unit"]) for d in vm[what]]
assert drives(back, "disks") == drives(exp, "disks"), (drives(back, "disks"), drives(exp, "disks"))
assert drives(back, "cdroms") == drives(exp, "cdroms"), (drives(back, "cdroms"), drives(exp, "cdroms"))
assert [d["boot"] for d in back["disks"]] == [d["boot"] for d in exp["disks"]]
nics = lambda vm: [(n["model"], n["network"]) for n in vm["nics"]]
assert nics(back) == nics(exp), (nics(back), nics(exp))
assert summary["generation"] == (2 if back["firmware"] == "efi" else 1)
PY
mkdir "$T/back-x" "$T/app-x" && tar xf "$T/back.ova" -C "$T/back-x" && tar xf "$T/app.ova" -C "$T/app-x"
disk=$(cd "$T/back-x" && ls | grep -v -e '\.ovf$' -e '\.mf$' -e '\.cert$' -e '\.iso$' | head -1)
expect_rc 0 "$OVFKIT" disk compare "$T/app-x/env-guest-disk1.vmdk" "$T/back-x/$disk"
# The imported disk boots on the bus the imported plan gives it (one boot).
if [[ -z ${OVFKIT_SKIP_BOOT:-} ]] && command -v qemu-system-x86_64 >/dev/null; then
  bus=$(boot_bus "$T/back.plan.json")
  BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$T/back-x/$disk" vmdk "$token" "$bus" none >/dev/null ||
    fail "the imported disk does not boot on $bus"
fi
echo ok
