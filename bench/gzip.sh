#!/usr/bin/env bash
# io::GzipSink against gzip and pigz on the same input, side by side in one run.
#   bench/gzip.sh WORKDIR [BUILD_DIR]    (BUILD_DIR defaults to build/test)
# The input is 128 MiB: the text-like and random runs of bench/make-shapes.py's
# disk data, mixed, so the ratio is neither trivial nor impossible. Each tool
# runs 5 times at level 6, alternating; the table gives the median and best
# wall time, the CPU time and the output size. Every output is checked with gzip -t and gunzip | cmp.
set -euo pipefail
work=${1:?usage: bench/gzip.sh WORKDIR [BUILD_DIR]}
build=${2:-build/test}
tool=$build/bench/ovfkit_gzip_bench
[[ -x $tool ]] || { echo "build $tool first" >&2; exit 2; }
mkdir -p "$work"
in=$work/gzip-input-128m.bin
if [[ ! -f $in ]]; then
  python3 - "$in" <<'PY'
import os, random, sys
random.seed(1)
words = [bytes(random.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(random.randint(3, 12)))
         for _ in range(5000)]
with open(sys.argv[1], "wb") as f:
    left = 128 << 20
    while left > 0:
        n = min(left, random.randint(1, 8) << 20)
        if random.random() < 0.25:
            f.write(os.urandom(n))
        else:
            chunk = bytearray()
            while len(chunk) < n:
                chunk += random.choice(words) + b" "
            f.write(chunk[:n])
        left -= n
PY
fi
cat "$in" >/dev/null # warm the page cache for every tool alike
best() { sort -n | head -1; }
median() { sort -n | sed -n 3p; }
declare -A t cpu
for run in 1 2 3 4 5; do
  for name in gzip pigz ovfkit; do
    case $name in
      gzip) cmd=(gzip -6 -n -c "$in") ;;
      pigz) command -v pigz >/dev/null || continue; cmd=(pigz -6 -n -c "$in") ;;
      ovfkit) cmd=("$tool" "$in" 6) ;;
    esac
    /usr/bin/time -f "%e %U %S" -o "$work/time" "${cmd[@]}" >"$work/out.$name.gz"
    read -r wall user sys <"$work/time"
    t[$name]+="$wall "
    cpu[$name]+="$(echo "$user + $sys" | bc) "
  done
done
echo "| tool | median | best | CPU (median) | output bytes | output / input |"
echo "|---|---:|---:|---:|---:|---:|"
size_in=$(stat -c %s "$in")
for name in gzip pigz ovfkit; do
  [[ -f $work/out.$name.gz ]] || continue
  gzip -t "$work/out.$name.gz"
  gzip -dc "$work/out.$name.gz" | cmp -s - "$in" || { echo "$name: round trip differs" >&2; exit 1; }
  m=$(tr ' ' '\n' <<<"${t[$name]}" | grep . | median)
  b=$(tr ' ' '\n' <<<"${t[$name]}" | grep . | best)
  c=$(tr ' ' '\n' <<<"${cpu[$name]}" | grep . | median)
  o=$(stat -c %s "$work/out.$name.gz")
  printf '| %s | %.2f s | %.2f s | %.2f s | %s | %.3f |\n' "$name" "$m" "$b" "$c" "$o" \
    "$(echo "$o / $size_in" | bc -l)"
done
