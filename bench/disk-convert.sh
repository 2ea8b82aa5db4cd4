#!/usr/bin/env bash
# bench/disk-convert.sh [WORKDIR]
# Times `ovfkit disk convert` against `qemu-img convert` side by side, on the
# same machine in the same run, and prints ratios (qemu-img time / ovfkit time,
# so > 1 means ovfkit is faster) and output sizes. Each case runs BENCH_RUNS
# (default 5) times, the tools alternating; the median and the best time are
# reported. BENCH_OUTDIR puts the outputs elsewhere (e.g. /dev/shm);
# BENCH_CASES="raw:vhd-fixed vhdx:raw" picks cases; BENCH_SKIP_BIG=1 skips the
# 64 GiB run.
#
# The image is 8 GiB virtual with about 2 GiB of data, in runs of: zeros that
# are stored (the converter must detect them), text-like compressible data and
# random data, with unallocated holes between. A second run converts a 64 GiB
# sparse disk and reports ovfkit's peak RSS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ovfkit=${OVFKIT:-$root/build/release/src/cli/ovfkit}
work=${1:-$(mktemp -d "${TMPDIR:-/var/tmp}/ovfkit-bench-XXXXXX")}
mkdir -p "$work"
[[ -x $ovfkit ]] || { echo "build ovfkit first (scripts/setup builds $ovfkit)" >&2; exit 2; }
command -v qemu-img >/dev/null || { echo "qemu-img is needed (apt-get install qemu-utils)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

src="$work/source.raw"
if [[ ! -f $src ]]; then
  echo "building $src (8 GiB virtual, ~2 GiB data)..." >&2
  python3 "$root/bench/make-source-disk.py" "$src"
fi

# name:ovfkit-format:qemu-format:qemu-create-options
declare -A qfmt=([raw]=raw [qcow2]=qcow2 [vhdx]=vhdx [vmdk-stream]=vmdk [vhd-fixed]=vpc)
declare -A qopt=([raw]="" [qcow2]="" [vhdx]="" [vmdk-stream]="-o subformat=streamOptimized"
                 [vhd-fixed]="-o subformat=fixed,force_size=on")
cases=("raw vmdk-stream" "qcow2 vhdx" "vmdk-stream qcow2" "raw vhd-fixed" "vhdx raw")
# BENCH_CASES="qcow2:vhdx raw:vhd-fixed" runs only those.
if [[ -n ${BENCH_CASES:-} ]]; then
  cases=()
  for c in $BENCH_CASES; do cases+=("${c/:/ }"); done
fi

have_format() { "$ovfkit" version --json | python3 -c "
import json,sys; sys.exit(0 if any(f['name']=='$1' and f['write'] for f in json.load(sys.stdin)['disk_formats']) else 1)"; }

# Inputs in each source format, made by qemu-img (not timed).
for f in qcow2 vhdx vmdk-stream; do
  [[ -f $work/source.$f ]] || qemu-img convert -f raw -O "${qfmt[$f]}" ${qopt[$f]} "$src" "$work/source.$f"
done
sync

runs=${BENCH_RUNS:-5}
# BENCH_OUTDIR=/dev/shm writes the outputs to memory: the copy itself, without
# the disk's write-back in the way.
outdir=${BENCH_OUTDIR:-$work}
# ovfkit fsyncs its output before renaming it into place (an output exists
# only once complete and durable); qemu-img returns with the data still in the
# page cache. Both are timed to the same point: the output on disk.
qemu_durable='qemu-img convert "$@" && sync "${@: -1}"'

# The median and the best of a list of times.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | grep . | sort -g | head -1; }

timed() { # timed OUT_PREFIX CMD... -> prints "seconds maxrss_kib"
  local prefix=$1; shift
  /usr/bin/time -f "%e %M" -o "$prefix.time" "$@" >/dev/null 2>"$prefix.err" || {
    cat "$prefix.err" >&2; return 1; }
  cat "$prefix.time"
}

# The floor: writing as many bytes as ovfkit's output holds, straight from
# /dev/zero with direct I/O and an fsync (best of 3). No conversion of this
# output can finish faster on this disk.
floor() { # floor KIB -> seconds
  local t0 t1 f= count=$((($1 + 4095) / 4096)) direct=oflag=direct
  dd if=/dev/zero of="$outdir/f.out" bs=4M count=1 $direct status=none 2>/dev/null || direct=
  for ((k = 0; k < 3; k++)); do
    rm -f "$outdir/f.out"; sync
    t0=$(date +%s.%N)
    dd if=/dev/zero of="$outdir/f.out" bs=4M count=$count $direct conv=fsync status=none
    t1=$(date +%s.%N)
    f=$(best $f "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  rm -f "$outdir/f.out"
  echo "$f"
}

printf '%-22s %10s %10s %7s %10s %10s %7s %7s %12s %12s %9s\n' case qemu-med ovfkit-med ratio \
  qemu-best ovfkit-best ratio floor qemu-size ovfkit-size size-diff
for c in "${cases[@]}"; do
  read -r from to <<<"$c"
  if ! have_format "$from" || ! have_format "$to"; then
    printf '%-22s skipped: ovfkit lacks a format\n' "$from->$to"; continue
  fi
  in="$work/source.$from"; [[ $from == raw ]] && in=$src
  # $runs runs, the two tools alternating, each starting after the previous
  # output was written back, so page-cache writeback of one run does not land
  # in the other's time.
  qts=() ots=()
  for ((i = 0; i < runs; i++)); do
    rm -f "$outdir/q.out" "$outdir/o.out"; sync
    read -r t _ < <(timed "$work/q" bash -c "$qemu_durable" _ -f "${qfmt[$from]}" -O "${qfmt[$to]}" ${qopt[$to]} "$in" "$outdir/q.out")
    qts+=("$t")
    sync
    [[ $i -lt $((runs - 1)) ]] && rm -f "$outdir/q.out"
    read -r t _ < <(timed "$work/o" "$ovfkit" disk convert -q -f "$from" -O "$to" "$in" "$outdir/o.out")
    ots+=("$t")
    sync
    [[ $i -lt $((runs - 1)) ]] && rm -f "$outdir/o.out"
  done
  qs=$(du -k "$outdir/q.out" | cut -f1); os=$(du -k "$outdir/o.out" | cut -f1)
  qemu-img compare -q -f "${qfmt[$to]}" -F "${qfmt[$to]}" "$outdir/q.out" "$outdir/o.out" \
    || echo "WARNING: outputs of $from->$to differ in content" >&2
  awk -v c="$from->$to" -v qm="$(median "${qts[@]}")" -v om="$(median "${ots[@]}")" \
      -v qb="$(best "${qts[@]}")" -v ob="$(best "${ots[@]}")" -v qs="$qs" -v os="$os" \
      -v fl="$(floor "$os")" 'BEGIN {
    printf "%-22s %9.2fs %9.2fs %6.2fx %9.2fs %9.2fs %6.2fx %6.2fs %10d K %10d K %+8.1f%%\n",
      c, qm, om, qm/om, qb, ob, qb/ob, fl, qs, os, (os-qs)*100/qs }'
done

[[ ${BENCH_SKIP_BIG:-0} == 1 ]] && exit 0
# Peak memory on a 64 GiB sparse disk with data spread over it.
big="$work/big.raw"
if [[ ! -f $big ]]; then
  truncate -s 64G "$big"
  for i in $(seq 0 63); do
    dd if="$src" of="$big" bs=1M count=8 skip=$((i * 8)) seek=$((i * 1024)) conv=notrunc status=none
  done
fi
for to in qcow2 vmdk-stream; do
  have_format "$to" || continue
  rm -f "$work/big.out"
  read -r t rss < <(timed "$work/b" "$ovfkit" disk convert -q -f raw -O "$to" "$big" "$work/big.out")
  printf 'raw->%s of a 64 GiB sparse disk: %.2fs, peak RSS %d MiB\n' "$to" "$t" $((rss / 1024))
done
rm -f "$outdir/q.out" "$outdir/o.out" "$work/big.out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); qemu-img $(qemu-img --version | head -1 | awk '{print $3}')"
