#!/usr/bin/env bash
# A billion-laughs entity bomb is refused (exit 4) before any expansion:
# quickly and in bounded memory, by validate and info, text and JSON.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
{
  echo '<?xml version="1.0"?>'
  echo '<!DOCTYPE Envelope ['
  echo '  <!ENTITY l0 "lol">'
  for i in $(seq 1 9); do
    p=$((i - 1))
    echo "  <!ENTITY l$i \"&l$p;&l$p;&l$p;&l$p;&l$p;&l$p;&l$p;&l$p;&l$p;&l$p;\">"
  done
  echo ']>'
  echo '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References/><VirtualSystem><Info>&l9;</Info></VirtualSystem></Envelope>'
} >"$T/bomb.ovf"
refuse_all 4 "$T/bomb.ovf"
grep -q 'DOCTYPE is refused' "$T/out" "$T/err" || fail "no DOCTYPE refusal message: $(cat "$T/out" "$T/err")"
grep -q 'lollol' "$T/out" "$T/err" && fail "entities were expanded"
exit 0
