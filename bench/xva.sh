#!/usr/bin/env bash
# bench/xva.sh [WORKDIR]
# Times `ovfkit convert --to xenserver` (an XVA: 1 MiB blocks, each with its
# SHA-1, and again with --xva-checksum xxhash: XXH64) of an appliance whose one disk is bench/make-source-disk.py's
# 8 GiB-virtual raw image (about 2 GiB of data), side by side in one run
# with `ovfkit disk convert` of that disk alone to raw: the XVA should cost
# at most 10 % more (issue #14). Both outputs end durable (ovfkit fsyncs
# before it renames into place). Each case runs BENCH_RUNS (default 3)
# times, alternating; medians, the ratio and peak RSS are printed. The
# appliance is the one bench/export.sh builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ovfkit=${OVFKIT:-$root/build/release/src/cli/ovfkit}
work=${1:-$(mktemp -d "${TMPDIR:-/var/tmp}/ovfkit-bench-XXXXXX")}
runs=${BENCH_RUNS:-3}
mkdir -p "$work"
[[ -x $ovfkit ]] || { echo "build ovfkit first (scripts/setup builds $ovfkit)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

src="$work/source.raw"
if [[ ! -f $src ]]; then
  echo "building $src (8 GiB virtual, ~2 GiB data)..." >&2
  python3 "$root/bench/make-source-disk.py" "$src"
fi
pkg="$work/appliance"
rm -rf "$pkg" && mkdir "$pkg"
ln "$src" "$pkg/disk.img"
size=$(stat -c %s "$src")
cat >"$pkg/app.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="f1" ovf:href="disk.img" ovf:size="$size"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="$size" ovf:format="http://en.wikipedia.org/wiki/Byte"/>
  </DiskSection>
  <NetworkSection><Info>networks</Info><Network ovf:name="net"><Description>n</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="bench"><Info>bench</Info><Name>bench</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="other5xLinux64Guest"><Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:ElementName>cpu</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>mem</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>scsi</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:Connection>net</rasd:Connection><rasd:ElementName>nic</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
XML

out="$work/out"
mkdir -p "$out"
declare -A cmd=(
  [disk-convert-raw]="'$ovfkit' disk convert -q --force -f raw -O raw '$src' '$out/disk.raw'"
  [export-xenserver]="'$ovfkit' convert -q --force '$pkg/app.ovf' '$out/app.xva' --to xenserver"
  [export-xva-xxhash]="'$ovfkit' convert -q --force '$pkg/app.ovf' '$out/app.xva' --to xenserver --xva-checksum xxhash"
)
order=(disk-convert-raw export-xenserver export-xva-xxhash)
declare -A base=([export-xenserver]=disk-convert-raw [export-xva-xxhash]=disk-convert-raw)
declare -A times mem cpu
for name in "${order[@]}"; do times[$name]=""; done
cat "$src" >/dev/null # warm the page cache for everyone
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= runs; r++)); do
  for name in "${order[@]}"; do
    rm -rf "${out:?}"/*
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" bash -c "${cmd[$name]}"
    read -r t m u s <"$work/time"
    times[$name]+="$t "
    mem[$name]=$m
    cpu[$name]="$u + $s"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-22s %10s %10s %12s %16s\n' case "median s" "ratio" "peak RSS" "CPU u+s (last)"
for name in "${order[@]}"; do
  t=$(median "${times[$name]}")
  ratio="-"
  if [[ -n ${base[$name]:-} ]]; then
    ratio=$(awk -v a="$t" -v b="$(median "${times[${base[$name]}]}")" 'BEGIN {printf "%.2fx", a / b}')
  fi
  printf '%-22s %10s %10s %9s MiB %16s\n' "$name" "$t" "$ratio" "$((mem[$name] / 1024))" "${cpu[$name]}"
done
echo "(ratios: export time / disk convert time of its disk alone; $runs runs, $(nproc) cores;"
echo " load average before $load_before, after $load_after)"
