#!/usr/bin/env bash
# `ovfkit convert --to hyperv` on a few corpus descriptors of different
# producers (BIOS and UEFI guests, many controllers, a collection), with
# stand-in disks: the disks are VHDX by default and fixed VHD with
# --disk-format vhd-fixed (qemu-img info reads them as vhdx, and as vpc of
# the footer's size, the footer saying fixed), hyperv.json and import.ps1 agree on every drive,
# adapter and switch, and name only files that were written; VHD on a
# generation 2 VM is refused before it would be written; --memory-min and
# --memory-max reach the script and are noted and ignored by other targets;
# injection text in --name and --net reaches import.ps1 as pure-ASCII string
# data that reads back, by PowerShell's string rules, to the text.
# (The boot of an exported disk: tests/cli/deploy/hyperv.sh.)
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"

# stage REL DIR: the descriptor in DIR with 1 MiB stand-ins for its disks.
stage() {
  python3 - "$corpus/ovf/$1" "$2" <<'PY'
import os, re, shutil, subprocess, sys
import xml.etree.ElementTree as ET
src, pkg = sys.argv[1:3]
os.makedirs(pkg)
shutil.copy(src, pkg)
local = lambda t: t.split("}")[-1]
files, disks = {}, {}
# Some producers declare UTF-16 and write UTF-8 (xenserver/sample_app.ovf).
text = open(src, "rb").read().decode("utf-8", "replace").lstrip("\ufeff")
for el in ET.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", text)).iter():
    a = {local(k): v for k, v in el.attrib.items()}
    if local(el.tag) == "File" and "href" in a:
        files[a["id"]] = a["href"]
    if local(el.tag) == "Disk" and "fileRef" in a:
        disks[a["fileRef"]] = a.get("format", "")
for fid, href in files.items():
    if fid in disks and re.fullmatch(r"[A-Za-z0-9._-]+", href):
        if href.lower().endswith(".vhd") or "vhd" in disks[fid].lower():
            create = ["-f", "vpc"]
        else:
            create = ["-f", "vmdk", "-o", "subformat=streamOptimized"]
        subprocess.run(["qemu-img", "create", "-q", *create, os.path.join(pkg, href), "1M"],
                       check=True)
PY
}

# check DIR FORMAT: hyperv.json, import.ps1 and the disks of an export agree.
check() {
  python3 - "$1" "$2" <<'PY'
import json, os, re, subprocess, sys
out, want = sys.argv[1:3]
doc = json.load(open(os.path.join(out, "hyperv.json")))
assert doc["schema"] == "ovfkit/1" and doc["target"] == "hyperv" and doc["script"] == "import.ps1", doc
script = open(os.path.join(out, "import.ps1"), encoding="ascii").read()
assert "$ErrorActionPreference = 'Stop'" in script and "$PSScriptRoot" in script
def lit(s):
    # expression() of plain text: one single-quoted literal.
    assert re.fullmatch(r"[ -~]*", s), s
    return "'" + s.replace("'", "''") + "'"
for vm in doc["vms"]:
    gen = vm["generation"]
    assert gen in (1, 2), vm
    assert f"-Generation {gen} -MemoryStartupBytes {vm['memory']['startup_bytes'] >> 20}MB" in script
    assert f"Set-VMProcessor -VM $vm -Count {vm['processors']}" in script
    for d in vm["disks"]:
        assert d["controller_type"] == ("SCSI" if gen == 2 else d["controller_type"]), d
        assert (d["controller_type"], d["controller_number"], d["controller_location"]) != ("IDE", 0, 0) or d["boot"]
        line = (f"Add-VMHardDiskDrive -VM $vm -ControllerType {d['controller_type']} "
                f"-ControllerNumber {d['controller_number']} -ControllerLocation "
                f"{d['controller_location']} -Path (Use-File {lit(d['file'])}) -Passthru")
        assert line in script, line
        path = os.path.join(out, d["file"])
        # A fixed VHD has its only footer at the end, so qemu-img's probe
        # says raw: it is read as vpc explicitly, which checks the footer.
        force = ["-f", "vpc"] if want == "vpc" else []
        info = json.loads(subprocess.run(["qemu-img", "info", *force, "--output=json", path],
                                         capture_output=True, check=True).stdout)
        assert info["format"] == want, (d["file"], info["format"])
        if want == "vpc":
            # The footer (last 512 bytes, big-endian) says disk type 2, fixed.
            with open(path, "rb") as f:
                f.seek(-512, 2)
                footer = f.read()
            assert footer[:8] == b"conectix" and footer[60:64] == b"\0\0\0\2", footer[:64]
            assert os.path.getsize(path) == info["virtual-size"] + 512
    boot = [d for d in vm["disks"] if d["boot"]]
    if vm["disks"]:
        assert len(boot) == 1
        if gen == 1:
            assert (boot[0]["controller_type"], boot[0]["controller_number"],
                    boot[0]["controller_location"]) == ("IDE", 0, 0), boot
    for c in vm["dvd_drives"]:
        assert c["controller_type"] == ("IDE" if gen == 1 else "SCSI"), c
        if c["file"]:
            assert os.path.isfile(os.path.join(out, c["file"])), c
            assert f"-ControllerLocation {c['controller_location']} -Path (Use-File {lit(c['file'])}) -Passthru" in script
    for i, n in enumerate(vm["network_adapters"]):
        assert n["name"] == f"net{i}" and (gen == 1 or not n["legacy"]), n
        if n["switch"] is not None and re.fullmatch(r"[ -~]*", n["switch"]):
            assert f"Get-Switch {lit(n['switch'])}\n" in script, n
print(f"{out}: {len(doc['vms'])} VM(s), generations {[v['generation'] for v in doc['vms']]}")
PY
}

pinned=(
  vmware-vsphere/win19.ovf
  vmware-vsphere/efi-nvram.ovf
  virtualbox/vbox5-all-storage-controllers.ovf
  xenserver/sample_app.ovf
  dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf
)
gens=""
for rel in "${pinned[@]}"; do
  [[ -f $corpus/ovf/$rel ]] || fail "$rel is not in the corpus"
  name=$(basename "$rel" .ovf)
  stage "$rel" "$T/$name"
  expect_rc 0 "$OVFKIT" convert "$T/$name/$name.ovf" "$T/$name-hv" --to hyperv --accept-eula --json
  check "$T/$name-hv" vhdx || fail "$rel: the export does not agree with itself"
  gens+=" $(python3 -c 'import json,sys; print(*[v["generation"] for v in json.load(open(sys.argv[1]))["vms"]])' "$T/$name-hv/hyperv.json")"
done
[[ $gens == *1* && $gens == *2* ]] || fail "the pinned descriptors should give both generations: $gens"

# Fixed VHD for 2008-era hosts: a BIOS guest, generation 1.
vbox=vbox5-all-storage-controllers
expect_rc 0 "$OVFKIT" convert "$T/$vbox/$vbox.ovf" "$T/vbox-vhd" --to hyperv --disk-format vhd-fixed --accept-eula
check "$T/vbox-vhd" vpc || fail "the vhd-fixed export does not agree with itself"
# ... refused for a generation 2 VM, which attaches VHDX only: noted in the
# plan, fatal with --strict, and never written.
expect_rc 0 "$OVFKIT" convert "$T/efi-nvram/efi-nvram.ovf" "$T/x" --to hyperv --disk-format vhd-fixed --dry-run --json --accept-eula
python3 -c 'import json,sys; assert any(n["code"] == "disk-format-gen2" and n["action"] == "dropped" for n in json.load(open(sys.argv[1]))["notes"])' "$T/out" ||
  fail "no disk-format-gen2 note: $(cat "$T/out")"
expect_rc 1 "$OVFKIT" convert "$T/efi-nvram/efi-nvram.ovf" "$T/efi-vhd" --to hyperv --disk-format vhd-fixed --strict --accept-eula
[[ ! -e $T/efi-vhd ]] || fail "--strict wrote $T/efi-vhd"
expect_rc 1 "$OVFKIT" convert "$T/efi-nvram/efi-nvram.ovf" "$T/efi-vhd" --to hyperv --disk-format vhd-fixed --accept-eula
grep -q "VHDX only" "$T/err" || fail "the refusal does not say why: $(cat "$T/err")"
[[ ! -e $T/efi-vhd ]] || fail "a refused export left $T/efi-vhd"
expect_rc 2 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/x" --to hyperv --disk-format qcow2 --dry-run

# Dynamic memory.
expect_rc 0 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/dyn" --to hyperv --accept-eula \
  --memory 2G --memory-min 1G --memory-max 8G
grep -qF -- '-DynamicMemoryEnabled $true -MinimumBytes 1024MB -StartupBytes 2048MB -MaximumBytes 8192MB' "$T/dyn/import.ps1" ||
  fail "no dynamic memory in import.ps1: $(grep Set-VMMemory "$T/dyn/import.ps1")"
expect_rc 2 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/x" --to hyperv --memory 512M --memory-min 1G --dry-run
expect_rc 2 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/x" --to hyperv --memory-min 2G --memory-max 1G --dry-run
# Hostile text in the name and the switch: the script stays pure ASCII and
# carries both as data that reads back to the text (the name's newline a
# space, as the mapping notes).
# (U+2019, U+2018 and U+0451 as UTF-8 bytes, whatever the locale.)
hostile=$'web "1" \'2\' \xe2\x80\x99; Stop-Computer \xe2\x80\x98 $(calc) `calc` @\'\n#<#\r\xd1\x91'
expect_rc 0 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/evil" --to hyperv --accept-eula \
  --name "$hostile" --net "VM Network=$hostile"
python3 - "$T/evil/import.ps1" "$hostile" <<'PY' || fail "the hostile name or switch is not literal data in import.ps1"
import re, sys
script = open(sys.argv[1], "rb").read()
want = sys.argv[2]
assert all(b == 10 or 32 <= b < 127 for b in script), "non-ASCII or control bytes in import.ps1"
script = script.decode("ascii")
QUOTES = "'\u2018\u2019\u201a\u201b"
def evaluate(expr):
    # 'lit' or (part + part ...), parts 'lit' (quotes doubled) or [char]0xNNNN.
    parts = re.fullmatch(r"\((.*)\)", expr)
    body = parts.group(1) if parts else expr
    units = []
    for tok in re.finditer(r"'((?:[^']|'')*)'|\[char\]0x([0-9A-F]{4})|( \+ )", body):
        if tok.group(1) is not None:
            units.append(tok.group(1).replace("''", "'"))
        elif tok.group(2):
            units.append(chr(int(tok.group(2), 16)))
    rebuilt = "".join(units)
    return rebuilt.encode("utf-16", "surrogatepass").decode("utf-16")
name = re.search(r"^    \$vmName = (.*)$", script, re.M).group(1)
switch = re.search(r"^\$switches\[0\] = Get-Switch (.*)$", script, re.M).group(1)
assert evaluate(name) == want.replace("\n", " ").replace("\r", " "), (name, evaluate(name))
assert evaluate(switch) == want, (switch, evaluate(switch))
PY
expect_rc 0 "$OVFKIT" convert "$T/win19/win19.ovf" "$T/x" --to libvirt --memory-max 64G --dry-run --json --accept-eula
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(n["code"] == "memory-dynamic" for n in d["notes"]) and "memory_max_bytes" not in d["vms"][0]' "$T/out" ||
  fail "libvirt does not note and drop --memory-max: $(cat "$T/out")"
echo ok
