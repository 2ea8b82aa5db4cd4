#!/usr/bin/env bash
# bench/package-pack.sh [WORKDIR]
# Times `ovfkit pack` of an OVF directory into an OVA with a SHA-256
# manifest, side by side in one run with:
#   - sha256sum over the same bytes (the floor: every byte read and hashed
#     once, nothing written), and `openssl dgst -sha256` likewise (OpenSSL's
#     SHA-256, which uses the CPU's SHA instructions as ovfkit does, where
#     Debian's sha256sum does not: the stricter floor);
#   - tar, then sha256sum, then sync of the tar (what a user would script;
#     ovfkit's time also includes the fsync of its output);
# and `ovfkit pack --disk-format vmdk-stream` against `ovfkit disk convert
# -O vmdk-stream` of the same disk (converting on the way into the tar
# member should cost nothing more). The disk is bench/make-source-disk.py's
# 8 GiB virtual raw image with about 2 GiB of data. Each case runs BENCH_RUNS
# (default 3) times, alternating; medians, ratios (time / floor) and peak
# RSS are printed.
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
pkg="$work/pkg"
rm -rf "$pkg" && mkdir "$pkg"
ln "$src" "$pkg/disk.img"
size=$(stat -c %s "$src")
cat >"$pkg/app.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="f1" ovf:href="disk.img" ovf:size="$size"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="$size" ovf:format="http://en.wikipedia.org/wiki/Byte"/>
  </DiskSection>
  <VirtualSystem ovf:id="bench"><Info>bench</Info>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
XML

out="$work/out"
mkdir -p "$out"
# case name -> command
declare -A cmd=(
  [floor]="sha256sum '$pkg/app.ovf' '$pkg/disk.img' >'$out/sums'"
  [openssl-dgst]="openssl dgst -sha256 '$pkg/app.ovf' '$pkg/disk.img' >'$out/sums'"
  [tar+sha256sum]="tar -C '$pkg' -cf '$out/script.ova' app.ovf disk.img && sha256sum '$pkg/app.ovf' '$pkg/disk.img' >'$out/sums' && sync '$out/script.ova'"
  [ovfkit-pack]="'$ovfkit' pack -q --force '$pkg' '$out/pack.ova'"
  [disk-convert-stream]="'$ovfkit' disk convert -q --force -f raw -O vmdk-stream '$src' '$out/disk.vmdk'"
  [ovfkit-pack-stream]="'$ovfkit' pack -q --force --disk-format vmdk-stream '$pkg' '$out/stream.ova'"
)
order=(floor openssl-dgst tar+sha256sum ovfkit-pack disk-convert-stream ovfkit-pack-stream)
declare -A times mem
for name in "${order[@]}"; do times[$name]=""; done
sha256sum "$pkg/disk.img" >/dev/null # warm the page cache for everyone
for ((r = 1; r <= runs; r++)); do
  for name in "${order[@]}"; do
    rm -f "$out"/*.ova "$out"/*.vmdk
    /usr/bin/time -f "%e %M" -o "$out/time" bash -c "${cmd[$name]}"
    read -r t m <"$out/time"
    times[$name]+="$t "
    mem[$name]=$m
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor=$(median "${times[floor]}")
stream=$(median "${times[disk-convert-stream]}")
printf '%-22s %10s %10s %12s\n' case "median s" "ratio" "peak RSS"
for name in "${order[@]}"; do
  t=$(median "${times[$name]}")
  base=$floor
  [[ $name == ovfkit-pack-stream ]] && base=$stream
  printf '%-22s %10s %10s %9s MiB\n' "$name" "$t" "$(awk -v a="$t" -v b="$base" 'BEGIN {printf "%.2fx", a / b}')" \
    "$((mem[$name] / 1024))"
done
echo "(ratios: time / floor; ovfkit-pack-stream: time / disk-convert-stream; $runs runs, $(nproc) cores)"
