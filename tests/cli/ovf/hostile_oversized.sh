#!/usr/bin/env bash
# A descriptor over the 16 MiB limit is refused (exit 4) without being
# parsed: the refusal comes before the bytes are read into memory.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
{
  envelope "" x | head -n 3
  head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' ' '
  echo '<VirtualSystem/></Envelope>'
} >"$T/big.ovf"
refuse_all 4 "$T/big.ovf"
grep -q 'byte limit' "$T/out" "$T/err" || fail "no size refusal message: $(cat "$T/out" "$T/err")"
exit 0
