#!/usr/bin/env bash
# `ovfkit info`: JSON fields on examples/tiny as a descriptor, a directory and
# an OVA built here with tar; text output; a few corpus producers (skipped
# when the corpus is absent); exit codes.
. "$(dirname "$0")/../lib.sh"
need python3
need tar
tiny=$OVFKIT_SOURCE_DIR/examples/tiny

check_tiny() { # $1 = JSON file, $2 = expected kind
  python3 - "$1" "$2" <<'PY' || fail "info --json on tiny ($2) is not as expected: $(cat "$1")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == sys.argv[2], d["kind"]
assert d["ovf_version"] == "1.x"
vs = d["virtual_systems"]
assert len(vs) == 1
v = vs[0]
assert v["id"] == "tiny" and v["name"] == "tiny" and v["path"] == "tiny" and v["parent"] is None
assert v["cpus"] == 1 and v["memory_mib"] == 256 and v["memory_bytes"] == 256 << 20
assert v["cpus_range"] is None and v["memory_bytes_range"] is None
assert v["os"] == {"id": "101", "description": "Linux 64-bit", "type": None}, v["os"]
assert v["disks"] == [{"id": "disk1", "capacity": "64", "capacity_bytes": 64 << 20,
                       "populated_bytes": None,
                       "format": "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
                       "file": "tiny.vmdk", "controller": "SCSI", "controller_id": "3",
                       "controller_model": "lsilogic", "address": "0", "backing": "disk"}], v["disks"]
assert v["nics"] == [{"network": "VM Network", "model": "E1000", "mac": None}], v["nics"]
assert v["controllers"] == [{"id": "3", "bus": "SCSI", "model": "lsilogic"}]
assert v["firmware"] is None
assert d["networks"] == [{"name": "VM Network", "description": "The network the appliance is reached on"}]
f = d["files"]
assert len(f) == 1 and f[0]["href"] == "tiny.vmdk" and f[0]["size"] == 132608, f
assert f[0]["stored_size"] == 132608, f
assert d["properties"] == [{"key": "hostname", "type": "string", "default": "tiny",
                            "label": "Host name", "user_configurable": True, "password": False,
                            "virtual_system": "tiny"}], d["properties"]
assert d["deployment_options"] == [] and d["eula"] is False
PY
}

expect_rc 0 "$OVFKIT" info --json "$tiny/tiny.ovf"
check_tiny "$T/out" ovf
expect_rc 0 "$OVFKIT" info --json "$tiny"
check_tiny "$T/out" directory
(cd "$tiny" && tar --format=ustar -cf "$T/tiny.ova" tiny.ovf tiny.vmdk)
expect_rc 0 "$OVFKIT" info --json "$T/tiny.ova"
check_tiny "$T/out" ova

expect_rc 0 "$OVFKIT" info "$T/tiny.ova"
grep -q '^  Memory: *256 MiB$' "$T/out" || fail "text output lacks the memory line: $(cat "$T/out")"
grep -q 'disk1  64 MiB, vmdk streamOptimized, file tiny.vmdk, on SCSI 3:0' "$T/out" \
  || fail "text output lacks the disk line: $(cat "$T/out")"
grep -q 'tiny.vmdk (id file1), [0-9.]* KiB, present (132608 bytes stored)' "$T/out" \
  || fail "text output lacks the file line: $(cat "$T/out")"

# A missing file shows as missing in an OVA.
(cd "$tiny" && tar --format=ustar -cf "$T/nodisk.ova" tiny.ovf)
expect_rc 0 "$OVFKIT" info "$T/nodisk.ova"
grep -q 'missing from the package' "$T/out" || fail "missing file not shown"

# Untrusted text is made terminal-safe: an escape sequence in a name.
# XML 1.0 cannot carry ESC itself, but it can carry U+009B (a one-byte CSI
# for some terminals), and a raw control byte can come from invalid input.
sed 's|<Name>tiny</Name>|<Name>evil\&#x9b;31mred</Name>|' "$tiny/tiny.ovf" >"$T/evil.ovf"
expect_rc 0 "$OVFKIT" info "$T/evil.ovf"
grep -q $'\xc2\x9b' "$T/out" && fail "a C1 control reached the terminal"
grep -q 'evil\\u009b31mred' "$T/out" || fail "the control was not shown as \\u009b: $(cat "$T/out")"

# Exit codes: usage 2, missing source 3, not a descriptor 1, refused 4.
expect_rc 2 "$OVFKIT" info
expect_rc 3 "$OVFKIT" info "$T/does-not-exist.ovf"
echo "not xml" >"$T/junk.ovf"
expect_rc 1 "$OVFKIT" info "$T/junk.ovf"
expect_rc 1 "$OVFKIT" info --json "$T/junk.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["exit_code"] == 1' "$T/out" \
  || fail "info --json error is not the error object"

# Memory that is not a whole MiB is shown exactly; ovf:bound items give a
# range, not duplicates; a disk drive on ovf:/file/ is listed as file-backed.
python3 - "$tiny/tiny.ovf" "$T/range.ovf" <<'PY'
import sys
t = open(sys.argv[1]).read()
t = t.replace("<rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>\n        <rasd:ElementName>256",
              "<rasd:AllocationUnits>byte</rasd:AllocationUnits>\n        <rasd:ElementName>256", 1)
t = t.replace("<rasd:VirtualQuantity>256</rasd:VirtualQuantity>",
              "<rasd:VirtualQuantity>1000000</rasd:VirtualQuantity>", 1)
cpu = t[t.index("      <Item>\n        <rasd:AllocationUnits>hertz"):]
cpu = cpu[:cpu.index("</Item>") + len("</Item>")]
lo = cpu.replace("<Item>", '<Item ovf:bound="min">', 1)
hi = cpu.replace("<Item>", '<Item ovf:bound="max">', 1).replace(
    "<rasd:VirtualQuantity>1<", "<rasd:VirtualQuantity>8<")
t = t.replace(cpu, cpu + "\n" + lo + "\n" + hi, 1)
t = t.replace("<rasd:HostResource>ovf:/disk/disk1</rasd:HostResource>",
              "<rasd:HostResource>ovf:/file/file1</rasd:HostResource>", 1)
open(sys.argv[2], "w").write(t)
PY
expect_rc 0 "$OVFKIT" info --json "$T/range.ovf"
python3 - "$T/out" <<'PY' || fail "ranges, exact memory, file-backed disk: $(cat "$T/out")"
import json, sys
v = json.load(open(sys.argv[1]))["virtual_systems"][0]
assert v["memory_bytes"] == 1000000 and v["memory_mib"] is None, v
assert v["cpus"] == 1 and v["cpus_range"] == {"min": 1, "max": 8}, v
d = v["disks"]
assert len(d) == 1 and d[0]["backing"] == "file" and d[0]["id"] == "file1", d
assert d[0]["file"] == "tiny.vmdk" and d[0]["controller_id"] == "3", d
PY
expect_rc 0 "$OVFKIT" info "$T/range.ovf"
grep -q "Memory:      1000000 bytes" "$T/out" || fail "memory: $(cat "$T/out")"
grep -q "CPUs:        1 (range 1 to 8)" "$T/out" || fail "cpus: $(cat "$T/out")"
grep -q "Disk:        file1  a file reference" "$T/out" || fail "disk: $(cat "$T/out")"

# Corpus producers (the corpus is read in place; skip that part without it).
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}/ovf
if [[ ! -d $corpus ]]; then
  echo "corpus not found at $corpus; corpus checks skipped" >&2
  exit 0
fi
expect_rc 0 "$OVFKIT" info --json "$corpus/cot/csr1000v.ovf"
python3 - "$T/out" <<'PY' || fail "csr1000v: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["virtual_systems"][0]
# Default deployment option 1CPU-4GB: the generic items apply.
assert d["default_deployment_option"] == "1CPU-4GB"
assert [o["id"] for o in d["deployment_options"]] == ["1CPU-4GB", "2CPU-4GB", "4CPU-4GB", "4CPU-8GB"]
assert v["cpus"] == 1 and v["memory_mib"] == 4096, (v["cpus"], v["memory_mib"])
assert v["os"]["type"] == "other26xLinux64Guest"
assert all(p["default"] is None for p in d["properties"] if p["password"])
assert len(v["nics"]) == 3 and v["nics"][0]["network"] == "GigabitEthernet1"
PY
expect_rc 0 "$OVFKIT" info --json "$corpus/vmware-vsphere/efi-nvram.ovf"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["virtual_systems"][0]; assert v["firmware"] == "efi", v' "$T/out" \
  || fail "efi-nvram: firmware is not efi"
expect_rc 0 "$OVFKIT" info --json "$corpus/vmware-vcenter/nested-vapp.ovf"
python3 - "$T/out" <<'PY' || fail "nested-vapp: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
vs = d["virtual_systems"]
assert len(vs) == 3, len(vs)
assert all(v["parent"] for v in vs), [v["parent"] for v in vs]
assert any(v["path"].count("/") >= 2 for v in vs), [v["path"] for v in vs]
PY
expect_rc 0 "$OVFKIT" info --json "$corpus/virtualbox/CentOS-6.4-i386-Gnome.ovf"
python3 - "$T/out" <<'PY' || fail "virtualbox: $(cat "$T/out")"
import json, sys
v = json.load(open(sys.argv[1]))["virtual_systems"][0]
assert v["memory_mib"] == 512 and v["disks"][0]["controller"] == "SATA", v
PY
expect_rc 0 "$OVFKIT" info --json "$corpus/xenserver/sample_app.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [w["code"] for w in d["warnings"]] == ["OVF-ENC-001"], d["warnings"]' "$T/out" \
  || fail "xenserver: expected the OVF-ENC-001 warning"
expect_rc 0 "$OVFKIT" info --json "$corpus/vmware-testsuite/eula.ovf"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["eula"] is True' "$T/out" \
  || fail "eula.ovf: eula is not true"
