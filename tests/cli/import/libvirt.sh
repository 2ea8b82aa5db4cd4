#!/usr/bin/env bash
# `ovfkit convert DOMAIN.xml OUT.ova` (docs/import.md, libvirt):
#   - every domain of the corpus's libvirt files (virt-install writes two per
#     file), its file disks and CD-ROM media moved beside it as small
#     stand-in images, imports
#     into an OVA whose envelope validates against the DMTF schema, or is
#     refused with exit 4 for a disk ovfkit never reads (block, network);
#   - the OVA's disks have the stand-ins' capacities and bytes (CD-ROM
#     drives are kept empty: their media are not carried);
#   - the corpus files as they are (absolute disk paths) are refused with
#     exit 4 and nothing written, and read with --allow-absolute-paths up to
#     the missing file (exit 3);
#   - hostile domains: '..', /etc/shadow, /dev/zero even with
#     --allow-absolute-paths, a symlink out of the directory, a backing
#     chain that loops, an NBD URL, 100 000 elements;
#   - the test appliance exported with --to libvirt imports back (with
#     --allow-absolute-paths: libvirt names disks by absolute path) into an
#     OVA that validates, whose disk compares identical and boots.
# The unit tests (tests/unit/platform/libvirt/) pin the plans, compare them
# with virt-v2v -i libvirtxml and import a domain of a test libvirtd.
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/libvirt ]] || skip "the shared corpus is not beside the checkout"

# Each domain of each corpus file into $T/c/NAME-N/domain.xml, its file disks
# renamed diskK.<type> beside it and made as 16 MiB + K MiB images.
python3 - "$corpus/libvirt" "$T/c" <<'PY'
import os, re, subprocess, sys
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith(".xml"):
        continue
    text = open(os.path.join(src, name)).read()
    docs = re.findall(r"<domain\b.*?</domain>", text, re.S)
    for n, doc in enumerate(docs, 1):
        d = os.path.join(out, "%s-%d" % (name[:-4], n))
        os.makedirs(d)
        k = 0
        def disk(m):
            global k
            block = m.group(0)
            if not re.search(r"type=['\"]file['\"]", block.split(">")[0]):
                return block
            f = re.search(r"<source file=(['\"])([^'\"]+)\1", block)
            if not f:
                return block
            t = re.search(r"<driver [^>]*type=['\"](\w+)['\"]", block)
            fmt = t.group(1) if t and t.group(1) in ("qcow2", "raw") else "raw"
            k += 1
            kind = "cd" if re.search(r"device=['\"]cdrom['\"]", block.split(">")[0]) else "disk"
            local = "%s%d.%s" % (kind, k, fmt)
            subprocess.run(["qemu-img", "create", "-q", "-f", fmt, os.path.join(d, local),
                            "%dM" % (16 + k)], check=True)
            return block.replace(f.group(0), "<source file=%s%s%s" % (f.group(1), local, f.group(1)))
        doc = re.sub(r"<disk\b.*?</disk>", disk, doc, flags=re.S)
        open(os.path.join(d, "domain.xml"), "w").write(doc)
PY

imported=0 refused=0
for d in "$T"/c/*/; do
  name=$(basename "$d")
  set +e; "$OVFKIT" convert -q "$d/domain.xml" "$T/$name.ova" >"$T/out" 2>"$T/err"; rc=$?; set -e
  if ((rc == 4)); then
    # Only a disk ovfkit never reads (a host device, a network disk) is refused.
    grep -Eq "host block device|network disk|device='lun'|type='(dir|nvme|volume)'" "$T/err" ||
      fail "$name: refused for another reason: $(cat "$T/err")"
    [[ ! -e $T/$name.ova ]] || fail "$name: refused but wrote the OVA"
    refused=$((refused + 1))
    continue
  fi
  ((rc == 0)) || fail "$name: exit $rc: $(cat "$T/err")"
  expect_rc 0 "$OVFKIT" validate --schema "$T/$name.ova"
  # Every stand-in is in the OVA with its capacity and its (zero) bytes.
  mkdir "$T/x-$name" && tar xf "$T/$name.ova" -C "$T/x-$name"
  expect_rc 0 "$OVFKIT" info --json "$T/$name.ova"
  python3 - "$T/out" "$d" <<'PY' || fail "$name: the OVA's disks are not the domain's: $(cat "$T/out")"
import json, os, sys
info = json.load(open(sys.argv[1]))
caps = sorted(d["capacity_bytes"] for vs in info["virtual_systems"] for d in vs["disks"])
want = sorted((16 + int(f[4:].split(".")[0])) << 20 for f in os.listdir(sys.argv[2]) if f.startswith("disk"))
assert caps == want, (caps, want)
PY
  for v in "$T/x-$name"/*.vmdk; do
    [[ -e $v ]] || continue
    cap=$(qemu-img info --output=json "$v" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
    # The images are empty: each converted disk compares equal to zeros.
    qemu-img create -q -f raw "$T/zero.raw" "$cap"
    expect_rc 0 qemu-img compare -q "$v" "$T/zero.raw"
  done
  imported=$((imported + 1))
done
((imported >= 8)) || fail "only $imported corpus domains imported ($refused refused)"
((refused >= 1)) || fail "the many-devices domain (block and network disks) was not refused"

# The corpus files as written name their disks by absolute path: refused by
# default; with --allow-absolute-paths the missing file is an I/O error.
doc=$T/c/virt-install-kvm-centos7-1/domain.xml
python3 -c 'import sys; import re; print(re.sub(r"disk1\.\w+", "/nonexistent/testvol1.img", open(sys.argv[1]).read()))' "$doc" >"$T/abs.xml"
expect_rc 4 "$OVFKIT" convert -q "$T/abs.xml" "$T/abs.ova"
grep -q "/nonexistent/testvol1.img" "$T/err" || fail "absolute: $(cat "$T/err")"
grep -q -- "--allow-absolute-paths" "$T/err" || fail "absolute: no pointer to the option: $(cat "$T/err")"
[[ ! -e $T/abs.ova ]] || fail "absolute: refused but wrote the OVA"
expect_rc 3 "$OVFKIT" convert -q --allow-absolute-paths "$T/abs.xml" "$T/abs.ova"
[[ ! -e $T/abs.ova ]] || fail "absolute: failed but wrote the OVA"

# Hostile domains: exit 4, the reason in one line, nothing written.
domain() { # DIR DISK-XML: a minimal domain with one disk
  mkdir -p "$1"
  printf '<domain type="kvm"><name>h</name><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type arch="x86_64" machine="q35">hvm</type></os><devices>%s</devices></domain>\n' "$2" >"$1/domain.xml"
}
hostile() { # NAME EXPECTED-TEXT [OPTIONS...]
  local dir=$T/h/$1 want=$2; shift 2
  set +e; "$OVFKIT" convert -q "$@" "$dir/domain.xml" "$T/h/$(basename "$dir").ova" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == 4 ]] || fail "$(basename "$dir"): exit $rc, expected 4: $(cat "$T/err")"
  [[ -z ${SHOW:-} ]] || cat "$T/err"
  grep -q -- "$want" "$T/err" || fail "$(basename "$dir"): the message does not say '$want': $(cat "$T/err")"
  [[ $(wc -l <"$T/err") == 1 ]] || fail "$(basename "$dir"): more than one line: $(cat "$T/err")"
  [[ ! -e $T/h/$(basename "$dir").ova ]] || fail "$(basename "$dir"): refused but wrote the OVA"
}
qemu-img create -q -f raw "$T/outside.raw" 1M
file_disk() { printf '<disk type="file" device="disk"><driver name="qemu" type="%s"/><source file="%s"/><target dev="vda" bus="virtio"/></disk>' "$1" "$2"; }
domain "$T/h/dotdot" "$(file_disk raw ../../outside.raw)"
hostile dotdot "outside.raw"
domain "$T/h/shadow" "$(file_disk raw /etc/shadow)"
hostile shadow "/etc/shadow"
domain "$T/h/dev" "$(file_disk raw /dev/zero)"
hostile dev "/dev/zero" --allow-absolute-paths
domain "$T/h/symlink" "$(file_disk raw link.raw)"
ln -s "$T/outside.raw" "$T/h/symlink/link.raw"
hostile symlink "link.raw"
domain "$T/h/nbd" '<disk type="network" device="disk"><driver name="qemu" type="raw"/><source protocol="nbd" name="x"><host name="127.0.0.1" port="10809"/></source><target dev="vda" bus="virtio"/></disk>'
hostile nbd "network"
# A qcow2 whose backing file is itself: the loop is refused where the chain is read.
domain "$T/h/loop" "$(file_disk qcow2 a.qcow2)"
qemu-img create -q -f qcow2 "$T/h/loop/b.qcow2" 1M
qemu-img create -q -f qcow2 -F qcow2 -b b.qcow2 "$T/h/loop/a.qcow2"
qemu-img rebase -q -u -f qcow2 -F qcow2 -b a.qcow2 "$T/h/loop/b.qcow2"
hostile loop "a.qcow2"
mkdir -p "$T/h/elements"
python3 -c 'import sys; open(sys.argv[1],"w").write("<domain type=\"kvm\"><name>h</name><memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices>" + "<input type=\"tablet\"/>" * 100000 + "</devices></domain>")' "$T/h/elements/domain.xml"
hostile elements "elements"
ls "$T/h"/*.ova >/dev/null 2>&1 && fail "a refused import left an OVA: $(ls "$T/h")"

# Round trip: the test appliance -> --to libvirt -> imported back through the
# CLI (its domain names the disks by absolute path): the disk compares
# identical and boots on the bus the domain gives it (one boot).
support=$OVFKIT_SOURCE_DIR/tests/support
token="lvimport-$$-$RANDOM"
set +e
OVFKIT=$OVFKIT "$support/make-test-appliance" "$T/app" "$token" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
expect_rc 0 "$OVFKIT" convert "$T/app/env-guest.ovf" "$T/kvm" --to libvirt --accept-eula --prop admin_password=secret123
expect_rc 4 "$OVFKIT" convert -q "$T/kvm/env-guest.xml" "$T/back.ova"
expect_rc 0 "$OVFKIT" convert -q --allow-absolute-paths "$T/kvm/env-guest.xml" "$T/back.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 "$OVFKIT" convert "$T/kvm/env-guest.xml" "$T/plan-out" --to ovf --dry-run --json --allow-absolute-paths
bus=$(boot_bus "$T/out")
mkdir "$T/back-x" && tar xf "$T/back.ova" -C "$T/back-x"
disk=$T/back-x/$(cd "$T/back-x" && ls *.vmdk | head -1)
expect_rc 0 "$OVFKIT" disk compare "$T/app/env-guest-disk1.vmdk" "$disk"
if [[ -z ${OVFKIT_SKIP_BOOT:-} ]] && command -v qemu-system-x86_64 >/dev/null; then
  BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$disk" vmdk "$token" "$bus" none >/dev/null ||
    fail "the imported disk does not boot on $bus"
fi
echo ok
