#!/usr/bin/env bash
# Non-UTF-8 input and lying encoding declarations are rejected (exit 1) with
# a one-line reason; nothing is decoded in another charset.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
# Latin-1 bytes without a declaration.
envelope "" "caf$(printf '\xe9')" >"$T/latin1.ovf"
refuse_all 1 "$T/latin1.ovf"
grep -q 'invalid UTF-8' "$T/out" "$T/err" || fail "no UTF-8 message: $(cat "$T/out" "$T/err")"
# A declared ISO-8859-1 document.
envelope "" x | sed '1s/UTF-8/ISO-8859-1/' >"$T/iso.ovf"
refuse_all 1 "$T/iso.ovf"
grep -q 'ISO-8859-1' "$T/out" "$T/err" || fail "no encoding message: $(cat "$T/out" "$T/err")"
# UTF-16 with a BOM.
envelope "" x | sed '1s/UTF-8/UTF-16/' | iconv -f UTF-8 -t UTF-16 >"$T/utf16.ovf"
refuse_all 1 "$T/utf16.ovf"
# validate reports these as a finding, in JSON too.
bounded 1 "$OVFKIT" validate --json "$T/iso.ovf"
python3 - "$T/out" <<'PY' || fail "validate --json does not report OVF-PARSE-001"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False
assert [f["code"] for f in d["findings"]] == ["OVF-PARSE-001"], d
assert d["findings"][0]["line"] == 1, d
PY
exit 0
