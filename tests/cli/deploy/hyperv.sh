#!/usr/bin/env bash
# The test appliance exported to hyperv (`ovfkit convert --to hyperv`, with
# a deployment option, properties, a network mapping and dynamic memory):
# hyperv.json and import.ps1 say what the plan says (generation 1 for the
# BIOS guest, CPUs and memory of the option, the switches, the boot disk on
# IDE 0:0 and the environment DVD on IDE 1:0), the password is in neither,
# and the exported VHDX boots under QEMU on the bus the script names (IDE)
# with the environment ISO on the DVD's bus, and the guest prints the
# properties given on the command line. One boot (the CI budget).
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
need qemu-system-x86_64
need qemu-img
need python3
need syslinux
need mcopy
need mkfs.vfat
need cpio
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
export BOOT_CHECK_S=${BOOT_CHECK_S:-400}

token="hv-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }

password='s3cret & "quoted" <x> a=b'
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/hv" --to hyperv --accept-eula \
  --deployment-option large --prop "hostname=guest-$token" --prop "admin_password=$password" \
  --net mgmt=External --memory-min 256M --memory-max 1G --json
[[ -f $T/hv/import.ps1 && -f $T/hv/hyperv.json ]] || fail "no import.ps1 or hyperv.json: $(ls "$T/hv")"
grep -qF "$password" "$T/hv/import.ps1" && fail "the password is in import.ps1"
grep -qF "s3cret" "$T/hv/hyperv.json" && fail "the password is in hyperv.json"

# What the script creates, from the summary; each line checked in the script.
read -r disk dvd < <(python3 - "$T/hv" <<'PY'
import json, os, sys
out = sys.argv[1]
doc = json.load(open(os.path.join(out, "hyperv.json")))
script = open(os.path.join(out, "import.ps1"), encoding="ascii").read()
(vm,) = doc["vms"]
assert vm["name"] == "env-guest" and vm["generation"] == 1, vm
assert vm["processors"] == 2, vm
assert vm["memory"] == {"startup_bytes": 512 << 20, "dynamic": True,
                        "minimum_bytes": 256 << 20, "maximum_bytes": 1 << 30}, vm["memory"]
assert [n["switch"] for n in vm["network_adapters"]] == ["External", "data"], vm["network_adapters"]
assert not any(n["legacy"] for n in vm["network_adapters"]), vm["network_adapters"]
(d,) = vm["disks"]
assert (d["controller_type"], d["controller_number"], d["controller_location"], d["boot"]) == ("IDE", 0, 0, True), d
env = [c for c in vm["dvd_drives"] if c["environment"]]
assert len(env) == 1 and (env[0]["controller_type"], env[0]["controller_number"], env[0]["controller_location"]) == ("IDE", 1, 0), vm["dvd_drives"]
for want in ["New-VM -Name $vmName -Generation 1 -MemoryStartupBytes 512MB -NoVHD",
             "Set-VMProcessor -VM $vm -Count 2",
             "-DynamicMemoryEnabled $true -MinimumBytes 256MB -StartupBytes 512MB -MaximumBytes 1024MB",
             f"-ControllerType IDE -ControllerNumber 0 -ControllerLocation 0 -Path (Use-File '{d['file']}')",
             f"Add-VMDvdDrive -VM $vm -ControllerNumber 1 -ControllerLocation 0 -Path (Use-File '{env[0]['file']}')",
             "Get-Switch 'External'", "Get-Switch 'data'",
             "Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD', 'LegacyNetworkAdapter', 'Floppy')"]:
    assert want in script, want
print(d["file"], env[0]["file"])
PY
) || fail "hyperv.json or import.ps1 is not what the plan says"
fmt=$(qemu-img info --output=json "$T/hv/$disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
[[ $fmt == vhdx ]] || fail "the disk is $fmt, not the default vhdx"

BOOT_CONSOLE_LOG="$T/console" \
  "$support/boot-with-cd" "$T/hv/$disk" vhdx "$token" ide "$T/hv/$dvd" ide >"$T/got" 2>"$T/boot.err" ||
  { cat "$T/got" "$T/boot.err" >&2; fail "the exported disk did not boot on IDE 0:0 with the DVD on IDE"; }
for want in "OVF-ENV found" "OVF-PROP hostname=guest-$token" "OVF-PROP admin_password=$password"; do
  grep -qxF "$want" "$T/got" || { cat "$T/got" "$T/console" >&2; fail "the guest did not print: $want"; }
done
echo "booted from IDE 0:0, environment on IDE 1:0: $(grep -c '^OVF-PROP ' "$T/got") properties read"
