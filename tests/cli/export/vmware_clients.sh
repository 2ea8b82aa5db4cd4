#!/usr/bin/env bash
# The VMware targets' pinned outputs (tests/golden/export/vmware, written by
# the unit tests) read by the real clients: virt-v2v's VMX reader (libvirt's
# parser) sees in each .vmx the CPUs, memory, disk buses and NICs the file
# states, and the vSphere API simulator's CreateImportSpec accepts each
# vSphere descriptor with no error (vcsim.bash: two documented exceptions
# for Windows guests).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vcsim.bash"
need python3
golden=$OVFKIT_SOURCE_DIR/tests/golden/export/vmware

if command -v virt-v2v >/dev/null && command -v qemu-img >/dev/null; then
  export LIBGUESTFS_BACKEND=direct
  for vmx in "$golden"/*.vmx; do
    d=$T/$(basename "$vmx" .vmx); mkdir "$d"; cp "$vmx" "$d/"
    # The disks and ISOs it names, so the reader can open them.
    python3 - "$vmx" "$d" <<'PY'
import re, subprocess, sys
for key, value in re.findall(r'^(\S+) = "([^"]*)"$', open(sys.argv[1]).read(), re.M):
    if key.endswith(".fileName") and value.endswith(".vmdk"):
        subprocess.run(["qemu-img", "create", "-q", "-f", "vmdk", sys.argv[2] + "/" + value, "64M"], check=True)
    elif key.endswith(".fileName") and value.endswith(".iso"):
        open(sys.argv[2] + "/" + value, "wb").close()
PY
    expect_rc 0 virt-v2v -i vmx "$d/$(basename "$vmx")" --print-source
    python3 - "$vmx" "$T/out" <<'PY' || fail "$(basename "$vmx"): virt-v2v read something else: $(cat "$T/out")"
import re, sys
def unescape(v):
    return re.sub(r"\|([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), v)
keys = {k: unescape(v) for k, v in re.findall(r'^(\S+) = "([^"]*)"$', open(sys.argv[1]).read(), re.M)}
v2v = open(sys.argv[2]).read()
field = lambda name: re.search(r"^\s*%s: (.*)$" % re.escape(name), v2v, re.M).group(1).strip()
assert field("source name") == keys["displayName"], field("source name")
assert field("nr vCPUs") == keys["numvcpus"]
assert field("memory") == "%d (bytes)" % (int(keys["memsize"]) * 1024 * 1024)
assert field("firmware") == ("uefi" if keys.get("firmware") == "efi" else "bios")
want_disks = sorted(re.match(r"([a-z]+)", k).group(1) for k, v in keys.items()
                    if k.endswith(".fileName") and v.endswith(".vmdk"))
disks = re.findall(r"^\t\d+ \[(\w+)\]$", v2v.split("disks:")[1].split("removable media:")[0], re.M)
assert sorted(disks) == want_disks, (disks, want_disks)
nics = re.findall(r'^\tBridge "([^"]*)" \[(\w+)\]$', v2v, re.M)
n = 0
want_nics = []
while "ethernet%d.present" % n in keys:
    want_nics.append((keys["ethernet%d.networkName" % n], keys["ethernet%d.virtualDev" % n]))
    n += 1
assert nics == want_nics, (nics, want_nics)
PY
  done
else
  echo "virt-v2v or qemu-img missing: .vmx reading not checked"
fi

vcsim_start
for ovf in "$golden"/*.ovf; do
  vsphere_accepts "$ovf"
done
# The Linux descriptor passes with no exception at all.
import_spec "$golden/linux.ovf" || fail "linux.ovf: $(cat "$T/spec")"
grep -q '^ok: 2 file items$' "$T/spec" || fail "linux.ovf: $(cat "$T/spec")"
echo ok
