#!/usr/bin/env bash
# Every corpus descriptor (every producer), with stand-in disks of the
# declared capacity, exported with `--to vmware-ova` and `--to vmware`: the
# vSphere simulator's CreateImportSpec accepts each OVA descriptor (a
# collection one VM at a time, vcsim.bash), virt-v2v's VMX reader reads each
# .vmx; an appliance that cannot be exported fails with one error line and
# exit 1, 2 or 4. Skips until `ovfkit convert` has --to (issue #13).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vcsim.bash"
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"
"$OVFKIT" convert --help 2>&1 | grep -q -- '--to' || skip "ovfkit convert has no --to yet"
need python3
need qemu-img
vcsim_start
export LIBGUESTFS_BACKEND=direct
v2v=$(command -v virt-v2v || true)
exported=0 refused=0
for src in $(cd "$corpus/ovf" && find . -name '*.ovf' | sort); do
  label=${src#./}
  pkg=$T/pkg; rm -rf "$pkg" "$T/o.ova" "$T/o" "$T/x"; mkdir "$pkg"
  cp "$corpus/ovf/$label" "$pkg/"
  # Stand-ins: each disk a sparse streamOptimized VMDK of its capacity, other files a few bytes.
  python3 - "$pkg/$(basename "$label")" "$pkg" 2>/dev/null <<'PY' || true
import re, subprocess, sys, xml.etree.ElementTree as ET
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
root = ET.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip("\ufeff")))  # XenServer declares utf-16 and writes UTF-8
local = lambda t: t.split("}")[-1]
attr = lambda e, n: next((v for k, v in e.attrib.items() if local(k) == n), None)
files = {attr(e, "id"): attr(e, "href") for e in root.iter() if local(e.tag) == "File"}
units = {"byte": 1, "kilobytes": 2**10, "megabytes": 2**20, "gigabytes": 2**30}
disks = {}
for d in (e for e in root.iter() if local(e.tag) == "Disk"):
    ref, cap = attr(d, "fileRef"), attr(d, "capacity") or ""
    u = (attr(d, "capacityAllocationUnits") or "byte").replace(" ", "")
    m = re.fullmatch(r"byte(?:\*2\^(\d+))?", u)
    scale = 2 ** int(m.group(1) or 0) if m else units.get(u.lower(), 1)
    uri = (attr(d, "format") or "").lower()
    fmt = ["vpc"] if "vhd" in uri or "virtualserver" in uri else ["qcow2"] if "qcow" in uri else \
        ["vmdk", "-o", "subformat=streamOptimized"]
    if ref in files and cap.isdigit():
        disks[files[ref]] = (max(int(cap) * scale, 1 << 20), fmt)
for href in files.values():
    if not href or not re.fullmatch(r"[A-Za-z0-9._-]+", href) or href.startswith("."):
        continue
    path = sys.argv[2] + "/" + href
    if href in disks and disks[href][0] <= 1 << 40:
        size, fmt = disks[href]
        subprocess.run(["qemu-img", "create", "-q", "-f", *fmt, path, str(size)], check=True)
    else:
        open(path, "wb").write(b"stand-in")
PY
  for target in vmware-ova vmware; do
    out=$T/o.ova; [[ $target == vmware ]] && out=$T/o
    set +e; timeout 600 "$OVFKIT" convert -q --accept-eula "$pkg" "$out" --to "$target" >"$T/cv.out" 2>"$T/cv.err"; rc=$?; set -e
    if [[ $rc != 0 ]]; then
      [[ $rc == 1 || $rc == 2 || $rc == 4 ]] || fail "$label --to $target: exit $rc: $(cat "$T/cv.err")"
      (($(grep -c '^ovfkit: error:' "$T/cv.err") == 1)) || fail "$label --to $target: $(cat "$T/cv.err")"
      [[ ! -e $out ]] || fail "$label --to $target: refused but left $out"
      refused=$((refused + 1)); echo "refused: $label --to $target: $(cat "$T/cv.err")"
      break
    fi
    if [[ $target == vmware-ova ]]; then
      mkdir "$T/x" && tar xf "$out" -C "$T/x"
      vsphere_accepts_each "$(ls "$T"/x/*.ovf)"
    elif [[ -n $v2v ]]; then
      for vmx in "$out"/*.vmx; do
        expect_rc 0 virt-v2v -i vmx "$vmx" --print-source
      done
    fi
    exported=$((exported + 1))
  done
done
echo "exported: $exported, refused: $refused"
((exported >= 80)) || fail "too few exports"
