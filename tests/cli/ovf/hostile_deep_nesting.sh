#!/usr/bin/env bash
# 100,000 nested elements are refused (exit 4) at the depth limit, quickly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
python3 - "$T/deep.ovf" <<'PY'
import sys
n = 100000
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0"?>\n<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References/>')
    f.write("<a>" * n + "</a>" * n)
    f.write("</Envelope>\n")
PY
refuse_all 4 "$T/deep.ovf"
grep -q 'nested deeper than 128' "$T/out" "$T/err" || fail "no depth refusal message: $(cat "$T/out" "$T/err")"
exit 0
