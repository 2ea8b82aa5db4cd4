#!/usr/bin/env bash
# An OVA on a pipe (`-`): inspected, validated and verified in one pass over
# stdin (spooled), a tampered one refused, a compressed one named as such; a
# descriptor on a pipe is read without files beside it.
. "$(dirname "$0")/../lib.sh"
need python3
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/pkg"
cp "$tiny/tiny.ovf" "$tiny/tiny.vmdk" "$tiny/tiny.mf" "$T/pkg/"
(cd "$T/pkg" && tar --format=ustar -cf "$T/tiny.ova" tiny.ovf tiny.mf tiny.vmdk)

piped() { # piped RC FILE CMD...: cat FILE | CMD, expecting RC
  local want=$1 file=$2; shift 2
  set +e; cat "$file" | "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == "$want" ]] || { cat "$T/out" "$T/err" >&2; fail "'cat $file | $*' exited $rc, expected $want"; }
}

piped 0 "$T/tiny.ova" "$OVFKIT" info --json -
python3 - "$T/out" <<'PY' || fail "info -: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["origin"] == "pipe" and d["spooled"] is True and d["kind"] == "ova", d
assert d["manifest"]["ok"] is True and d["files"][0]["stored_size"] == 132608, d
PY
piped 0 "$T/tiny.ova" "$OVFKIT" validate --json -
python3 - "$T/out" <<'PY' || fail "validate --json -: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["kind"] == "ova", d
assert d["manifest"] == {"present": True, "name": "tiny.mf", "algorithm": "SHA256", "ok": True,
                         "failed": []}, d["manifest"]
assert d["signature"] == {"present": False}, d["signature"]
PY
piped 0 "$T/tiny.ova" "$OVFKIT" verify -
grep -q "^-: verified$" "$T/out" || fail "verify -: $(cat "$T/out")"
# stdin redirected from a file is read in place, not spooled.
set +e; "$OVFKIT" info --json - <"$T/tiny.ova" >"$T/out"; rc=$?; set -e
[[ $rc == 0 ]] || fail "info - < file: $rc"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["spooled"] is False and d["origin"] == "pipe", d' "$T/out"

# One changed byte of the disk, through the pipe: refused, the member named.
python3 - "$T/tiny.ova" "$T/bad.ova" <<'PY'
import sys, tarfile
src = open(sys.argv[1], "rb").read()
t = tarfile.open(sys.argv[1])
m = t.getmember("tiny.vmdk")
b = bytearray(src); b[m.offset_data + m.size // 2] ^= 1
open(sys.argv[2], "wb").write(bytes(b))
PY
piped 4 "$T/bad.ova" "$OVFKIT" verify -
grep -q "tiny.vmdk: SHA256 digest .* does not match" "$T/out" || fail "tampered: $(cat "$T/out")"
piped 1 "$T/bad.ova" "$OVFKIT" validate --json -
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and d["manifest"]["ok"] is False and d["manifest"]["failed"] == ["tiny.vmdk"], d' "$T/out" \
  || fail "validate tampered: $(cat "$T/out")"
piped 0 "$T/bad.ova" "$OVFKIT" info -
grep -q "^Manifest: tiny.mf (SHA256), MISMATCH: tiny.vmdk$" "$T/out" || fail "info tampered: $(cat "$T/out")"

gzip -c "$T/tiny.ova" >"$T/tiny.ova.gz"
piped 1 "$T/tiny.ova.gz" "$OVFKIT" info -
grep -q "gzip-compressed" "$T/err" || fail "gzip: $(cat "$T/err")"

# A descriptor alone: its files are not beside it, so none is "missing".
piped 0 "$tiny/tiny.ovf" "$OVFKIT" info -
grep -q "from stdin, no files beside it" "$T/out" || fail "descriptor: $(cat "$T/out")"
piped 0 "$tiny/tiny.ovf" "$OVFKIT" validate -
piped 4 "$tiny/tiny.ovf" "$OVFKIT" verify -
grep -q "MF-ABSENT" "$T/out" || fail "descriptor verify: $(cat "$T/out")"
