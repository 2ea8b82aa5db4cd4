#!/usr/bin/env bash
# bench/import.sh [WORKDIR]
# Times `ovfkit convert SOURCE out.ova` (streamOptimized disks) of two
# hypervisor sources whose one disk is bench/make-source-disk.py's
# 8 GiB-virtual image (about 2 GiB of data), side by side in one run with
# `ovfkit disk convert -O vmdk-stream` of that disk alone (issue #15: at most
# 1.1x):
#   - import-xva: an XVA (written by `--to xenserver` from the raw disk),
#     against disk convert of the raw disk; import-xva-xxhash: the same XVA
#     with XXH64 block checksums (`--xva-checksum xxhash`, what xapi 8.1+
#     writes) instead of SHA-1;
#   - import-vmx: a VMware directory, a .vmx and a monolithicSparse VMDK
#     (qemu-img), against disk convert of that VMDK.
# Every output ends durable (ovfkit fsyncs before it renames into place).
# Each case runs BENCH_RUNS (default 3) times, alternating; medians, ratios,
# peak RSS and the load average are printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ovfkit=${OVFKIT:-$root/build/release/src/cli/ovfkit}
work=${1:-$(mktemp -d "${TMPDIR:-/var/tmp}/ovfkit-bench-XXXXXX")}
runs=${BENCH_RUNS:-3}
mkdir -p "$work"
[[ -x $ovfkit ]] || { echo "build ovfkit first (scripts/setup builds $ovfkit)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
command -v qemu-img >/dev/null || { echo "qemu-img is needed" >&2; exit 2; }

src="$work/source.raw"
if [[ ! -f $src ]]; then
  echo "building $src (8 GiB virtual, ~2 GiB data)..." >&2
  python3 "$root/bench/make-source-disk.py" "$src"
fi
size=$(stat -c %s "$src")

# The XVA: the raw disk as an appliance, exported --to xenserver.
xva="$work/app.xva"
if [[ ! -f $xva ]]; then
  pkg="$work/appliance"
  rm -rf "$pkg" && mkdir "$pkg"
  ln "$src" "$pkg/disk.img"
  cat >"$pkg/app.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="f1" ovf:href="disk.img" ovf:size="$size"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="$size" ovf:format="http://en.wikipedia.org/wiki/Byte"/>
  </DiskSection>
  <NetworkSection><Info>networks</Info><Network ovf:name="net"><Description>n</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="bench"><Info>bench</Info><Name>bench</Name>
    <OperatingSystemSection ovf:id="101"><Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:ElementName>cpu</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>mem</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>ide</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:Connection>net</rasd:Connection><rasd:ElementName>nic</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
XML
  "$ovfkit" convert -q "$pkg/app.ovf" "$xva" --to xenserver
fi
xxva="$work/xxhash/app.xva"
if [[ ! -f $xxva ]]; then
  mkdir -p "$work/xxhash"
  "$ovfkit" convert -q "$work/appliance/app.ovf" "$xxva" --to xenserver --xva-checksum xxhash
fi

# The VMware directory: a .vmx and a monolithicSparse VMDK of the same disk.
vm="$work/vmware"
if [[ ! -f $vm/bench.vmdk ]]; then
  rm -rf "$vm" && mkdir "$vm"
  qemu-img convert -q -f raw -O vmdk -o subformat=monolithicSparse "$src" "$vm/bench.vmdk"
  cat >"$vm/bench.vmx" <<'VMX'
.encoding = "UTF-8"
displayName = "bench"
guestOS = "other5xlinux-64"
numvcpus = "2"
memsize = "1024"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "bench.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "e1000"
ethernet0.networkName = "net"
VMX
fi

out="$work/out"
mkdir -p "$out"
declare -A cmd=(
  [disk-convert-raw]="'$ovfkit' disk convert -q --force -f raw -O vmdk-stream '$src' '$out/disk.vmdk'"
  [import-xva]="'$ovfkit' convert -q --force '$xva' '$out/xva.ova'"
  [import-xva-xxhash]="'$ovfkit' convert -q --force '$xxva' '$out/xva.ova'"
  [disk-convert-vmdk]="'$ovfkit' disk convert -q --force -O vmdk-stream '$vm/bench.vmdk' '$out/disk.vmdk'"
  [import-vmx]="'$ovfkit' convert -q --force '$vm' '$out/vmx.ova'"
)
order=(disk-convert-raw import-xva import-xva-xxhash disk-convert-vmdk import-vmx)
declare -A base=([import-xva]=disk-convert-raw [import-xva-xxhash]=disk-convert-raw [import-vmx]=disk-convert-vmdk)
declare -A times mem cpu
for name in "${order[@]}"; do times[$name]=""; done
cat "$src" "$xva" "$xxva" "$vm/bench.vmdk" >/dev/null # warm the page cache for everyone
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
printf '%-20s %10s %10s %12s %16s\n' case "median s" "ratio" "peak RSS" "CPU u+s (last)"
for name in "${order[@]}"; do
  t=$(median "${times[$name]}")
  ratio="-"
  if [[ -n ${base[$name]:-} ]]; then
    ratio=$(awk -v a="$t" -v b="$(median "${times[${base[$name]}]}")" 'BEGIN {printf "%.2fx", a / b}')
  fi
  printf '%-20s %10s %10s %9s MiB %16s\n' "$name" "$t" "$ratio" "$((mem[$name] / 1024))" "${cpu[$name]}"
done
echo "(ratios: import time / disk convert time of its disk alone; $runs runs, $(nproc) cores;"
echo " load average before $load_before, after $load_after)"
