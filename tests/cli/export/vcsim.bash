# Helpers for the VMware target tests: the vSphere API simulator
# (../shared/tools/vcsim, built by scripts/setup into $OVFKIT_VCSIM_DIR, by
# default ~/.cache/ovfkit/vcsim). Source after lib.sh.

vcsim_dir=${OVFKIT_VCSIM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ovfkit/vcsim}

# vcsim_start: starts the simulator on 127.0.0.1, sets VCSIM_URL; stopped on exit.
vcsim_start() {
  [[ -x $vcsim_dir/vcsim && -x $vcsim_dir/import-spec ]] ||
    skip "no vSphere simulator in $vcsim_dir (scripts/setup builds it; OVFKIT_VCSIM_DIR names another)"
: >"$T/vcsim.log"
  "$vcsim_dir/vcsim" >>"$T/vcsim.log" 2>&1 &
  VCSIM_PID=$!
  trap 'kill $VCSIM_PID 2>/dev/null; rm -rf "$T"' EXIT
  for _ in $(seq 1 100); do
    VCSIM_URL=$(grep -o -m1 'https\?://[^ ]*/sdk' "$T/vcsim.log" || true)
    [[ -n $VCSIM_URL ]] && return 0
    kill -0 $VCSIM_PID 2>/dev/null || fail "vcsim exited: $(cat "$T/vcsim.log")"
    sleep 0.1
  done
  fail "vcsim printed no URL: $(cat "$T/vcsim.log")"
}

# import_spec FILE.ovf: OvfManager.CreateImportSpec on FILE; output in $T/spec.
import_spec() {
  set +e; timeout 120 "$vcsim_dir/import-spec" "$VCSIM_URL" "$1" >"$T/spec" 2>&1; local rc=$?; set -e
  return $rc
}

# vsphere_accepts FILE.ovf: no `error:` from CreateImportSpec, except where
# the simulator is stricter than ESXi 6.5+ (its README: SATA controllers and
# the lsilogicsas subtype; NVMe controllers likewise, ResourceType 20),
# tolerated only when FILE holds that very item (map.cpp keeps SATA and LSI
# Logic SAS for Windows guests, which may have no other in-box driver, and
# NVMe for every guest). Fails the test otherwise.
vsphere_accepts() {
  local f=$1
  # The simulator dereferences every Disk's ovf:fileRef; a blank disk (no
  # fileRef, which vSphere creates empty) gets a stand-in File in a copy.
  if python3 - "$f" "$T/blank.ovf" <<'PY'
import sys, xml.etree.ElementTree as ET
OVF = "{http://schemas.dmtf.org/ovf/envelope/1}"
for p, u in [("ovf", OVF[1:-1]), ("rasd", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"),
             ("vssd", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"),
             ("vmw", "http://www.vmware.com/schema/ovf")]:
    ET.register_namespace(p, u)
tree = ET.parse(sys.argv[1])
root = tree.getroot()
refs = root.find(OVF + "References")
blank = [d for d in root.iter(OVF + "Disk") if d.get(OVF + "fileRef") is None]
for n, d in enumerate(blank):
    ET.SubElement(refs, OVF + "File", {OVF + "id": "blank-%d" % n, OVF + "href": "blank-%d.vmdk" % n})
    d.set(OVF + "fileRef", "blank-%d" % n)
tree.write(sys.argv[2], xml_declaration=True, encoding="UTF-8")
sys.exit(0 if blank else 1)
PY
  then f=$T/blank.ovf; fi
  import_spec "$f" || grep -q '^error:' "$T/spec" || fail "$(basename "$1"): $(cat "$T/spec")"
  local e
  while IFS= read -r e; do
    case $e in
      "error: unknown SCSI controller type 'lsilogicsas'")
        grep -q '<rasd:ResourceSubType>lsilogicsas<' "$f" && continue ;;
      "error: unsupported resource type: 20")
        grep -qE '<rasd:ResourceSubType>vmware\.(sata\.ahci|nvme\.controller)<' "$f" && continue ;;
    esac
    fail "$(basename "$1"): vSphere refused it: $e"
  done < <(grep '^error:' "$T/spec" || true)
}

# vsphere_accepts_each FILE.ovf: vsphere_accepts on FILE, or, for a
# VirtualSystemCollection (which the simulator cannot import: it
# dereferences the descriptor's lone VirtualSystem), on one descriptor per
# VirtualSystem cut from it (References, DiskSection, NetworkSection and
# the system), which is what vCenter checks per VM of a vApp.
vsphere_accepts_each() {
  local f=$1
  if ! grep -q 'VirtualSystemCollection' "$f"; then
    vsphere_accepts "$f"
    return
  fi
  local d=$T/split-$(basename "$f" .ovf)
  mkdir -p "$d"
  python3 - "$f" "$d" <<'PY'
import copy, sys, xml.etree.ElementTree as ET
OVF = "http://schemas.dmtf.org/ovf/envelope/1"
for p, u in [("ovf", OVF), ("rasd", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"),
             ("vssd", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"),
             ("vmw", "http://www.vmware.com/schema/ovf")]:
    ET.register_namespace(p, u)
root = ET.parse(sys.argv[1]).getroot()
systems = root.findall(".//{%s}VirtualSystem" % OVF)
assert systems, "no VirtualSystem"
for i, vs in enumerate(systems):
    env = ET.Element(root.tag, root.attrib)
    for child in root:
        if child.tag.endswith("}References") or child.tag.endswith("}DiskSection") or child.tag.endswith("}NetworkSection"):
            env.append(copy.deepcopy(child))
    env.append(copy.deepcopy(vs))
    ET.ElementTree(env).write("%s/%d.ovf" % (sys.argv[2], i), xml_declaration=True, encoding="UTF-8")
PY
  local part
  for part in "$d"/*.ovf; do
    vsphere_accepts "$part"
  done
}
