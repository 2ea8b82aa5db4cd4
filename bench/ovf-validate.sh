#!/usr/bin/env bash
# bench/ovf-validate.sh [WORKDIR]
# Times `ovfkit validate` (hardened parse + model + semantic validation) and
# `ovfkit validate --schema` against `xmllint --noout` (a parse only: the
# floor) on the same generated descriptor, and prints the ratios
# (ovfkit time / xmllint time, so lower is better) and ovfkit's peak RSS.
#
# The descriptor is one VirtualSystemCollection of 1,000 VirtualSystems with
# 20 hardware items each (CPU, memory, 2 controllers, 8 disks, 4 NICs, CD,
# floppy, serial, USB, video, sound-less "other"), 8,000 disks, 8,000 files
# and 4 networks: about 7 MB and 150,000 elements, inside the 16 MiB and
# 200,000-element limits. Each measurement is the best of 5 runs.
#
# Then the shapes of bench/make-shapes.py (long Parent chains and cycles,
# parentRef cycles, thousands of HostResources on one item, deployment options
# x items), each near the size limit: `validate` and `info` against xmllint on
# the same file. The target is at most 2x xmllint's time and peak memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ovfkit=${OVFKIT:-$root/build/release/src/cli/ovfkit}
[[ -x $ovfkit ]] || ovfkit=$root/build/test/src/cli/ovfkit
work=${1:-$(mktemp -d "${TMPDIR:-/var/tmp}/ovfkit-bench-XXXXXX")}
mkdir -p "$work"
[[ -x $ovfkit ]] || { echo "build ovfkit first (scripts/setup)" >&2; exit 2; }
command -v xmllint >/dev/null || { echo "xmllint is needed (apt-get install libxml2-utils)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

ovf="$work/big.ovf"
python3 - "$ovf" <<'PY'
import sys
systems, disks_per_vm, nics_per_vm = 1000, 8, 4
out = []
w = out.append
w('<?xml version="1.0" encoding="UTF-8"?>\n')
w('<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"'
  ' xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"'
  ' xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">\n')
w('<References>\n')
for v in range(systems):
    for d in range(disks_per_vm):
        w(f'<File ovf:id="f{v}-{d}" ovf:href="vm{v}-disk{d}.vmdk" ovf:size="{1000 + d}"/>\n')
w('</References>\n<DiskSection><Info>Disks</Info>\n')
for v in range(systems):
    for d in range(disks_per_vm):
        w(f'<Disk ovf:diskId="d{v}-{d}" ovf:fileRef="f{v}-{d}" ovf:capacity="{d + 1}" ovf:capacityAllocationUnits="byte * 2^30"'
          ' ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>\n')
w('</DiskSection>\n<NetworkSection><Info>Networks</Info>\n')
for n in range(nics_per_vm):
    w(f'<Network ovf:name="net{n}"><Description>network {n}</Description></Network>\n')
w('</NetworkSection>\n<VirtualSystemCollection ovf:id="vapp"><Info>1000 virtual machines</Info>\n')
def item(fields):
    return '<Item>' + ''.join(f'<rasd:{k}>{v}</rasd:{k}>' for k, v in sorted(fields.items())) + '</Item>\n'
for v in range(systems):
    w(f'<VirtualSystem ovf:id="vm{v}"><Info>VM {v}</Info><Name>vm{v}</Name>\n')
    w('<OperatingSystemSection ovf:id="101"><Info>OS</Info></OperatingSystemSection>\n')
    w('<VirtualHardwareSection><Info>Hardware</Info><System><vssd:ElementName>hw</vssd:ElementName>'
      '<vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>\n')
    w(item({"ElementName": "CPU", "InstanceID": 1, "ResourceType": 3, "VirtualQuantity": 2}))
    w(item({"AllocationUnits": "byte * 2^20", "ElementName": "Memory", "InstanceID": 2, "ResourceType": 4, "VirtualQuantity": 2048}))
    w(item({"Address": 0, "ElementName": "SCSI 0", "InstanceID": 3, "ResourceSubType": "lsilogic", "ResourceType": 6}))
    w(item({"Address": 0, "ElementName": "SATA 0", "InstanceID": 4, "ResourceSubType": "vmware.sata.ahci", "ResourceType": 20}))
    for d in range(disks_per_vm):
        w(item({"AddressOnParent": d if d < 7 else 8, "ElementName": f"Disk {d}", "HostResource": f"ovf:/disk/d{v}-{d}",
                "InstanceID": 10 + d, "Parent": 3, "ResourceType": 17}))
    for n in range(nics_per_vm):
        w(item({"AutomaticAllocation": "true", "Connection": f"net{n}", "ElementName": f"NIC {n}",
                "InstanceID": 20 + n, "ResourceSubType": "VmxNet3", "ResourceType": 10}))
    w(item({"AddressOnParent": 0, "ElementName": "CD", "InstanceID": 30, "Parent": 4, "ResourceType": 15}))
    w(item({"ElementName": "Floppy", "InstanceID": 31, "ResourceType": 14}))
    w(item({"ElementName": "Serial", "InstanceID": 32, "ResourceType": 21}))
    w(item({"ElementName": "USB", "InstanceID": 33, "ResourceType": 23}))
    w(item({"ElementName": "Video", "InstanceID": 34, "ResourceType": 24}))
    w(item({"ElementName": "Parallel", "InstanceID": 35, "ResourceType": 22}))
    w('</VirtualHardwareSection></VirtualSystem>\n')
w('</VirtualSystemCollection>\n</Envelope>\n')
open(sys.argv[1], "w").write("".join(out))
PY
bytes=$(stat -c %s "$ovf")
elements=$(grep -o '<[A-Za-z]' "$ovf" | wc -l)

# best_of CMD...: prints "seconds peak_kib" of the fastest of 5 runs.
best_of() {
  local best="" rss=""
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
      local rc=$?; [[ $rc == 1 ]] || { cat "$work/err" >&2; echo "'$*' failed ($rc)" >&2; exit 1; }; }
    read -r s k < <(tail -n 1 "$work/t")
    if [[ -z $best ]] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$s; rss=$k; fi
  done
  echo "$best $rss"
}

read -r t_xml r_xml < <(best_of xmllint --noout --nonet "$ovf")
read -r t_val r_val < <(best_of "$ovfkit" validate -q "$ovf")
read -r t_sch r_sch < <(best_of "$ovfkit" validate -q --schema "$ovf")
"$ovfkit" validate "$ovf" | tail -n 1 | sed "s|^.*: |verdict: |; s|)$|; the warnings are OVF-FILE-002, the disks are not generated)|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) b = 0.01; printf "%.1f", a / b }'; }
cat <<EOF2
descriptor: 1000 VirtualSystems x 20 items, $bytes bytes, $elements elements
xmllint --noout:            ${t_xml} s  peak RSS $((r_xml / 1024)) MiB   (floor)
ovfkit validate:            ${t_val} s  peak RSS $((r_val / 1024)) MiB   ratio $(ratio "$t_val" "$t_xml")x
ovfkit validate --schema:   ${t_sch} s  peak RSS $((r_sch / 1024)) MiB   ratio $(ratio "$t_sch" "$t_xml")x
EOF2

python3 "$root/bench/make-shapes.py" "$work/shapes" 1
echo
echo "shape                 bytes      xmllint          validate                 info"
for f in "$work"/shapes/*.ovf; do
  read -r t_x r_x < <(best_of xmllint --noout --nonet "$f")
  read -r t_v r_v < <(best_of "$ovfkit" validate -q "$f")
  read -r t_i r_i < <(best_of "$ovfkit" info -q "$f")
  printf "%-20s %9s  %5ss %4sMiB  %5ss %4sMiB %5sx %4sx  %5ss %4sMiB %5sx %4sx\n" \
    "$(basename "$f" .ovf)" "$(stat -c %s "$f")" "$t_x" $((r_x / 1024)) \
    "$t_v" $((r_v / 1024)) "$(ratio "$t_v" "$t_x")" "$(ratio "$r_v" "$r_x")" \
    "$t_i" $((r_i / 1024)) "$(ratio "$t_i" "$t_x")" "$(ratio "$r_i" "$r_x")"
done
