#!/usr/bin/env bash
# `ovfkit validate`: exit codes 0/1/2/3/4, --strict, --json shape, --schema,
# package sizes checked in a directory and an OVA.
. "$(dirname "$0")/../lib.sh"
need python3
need tar
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
cp "$tiny/tiny.vmdk" "$T/" # edited descriptors below have their disk beside them

expect_rc 0 "$OVFKIT" validate "$tiny/tiny.ovf"
[[ $(cat "$T/out") == "manifest: tiny.mf (SHA256), 2 files, all match
signature: none (not signed)
$tiny/tiny.ovf: valid (0 errors, 0 warnings)" ]] || fail "verdict: $(cat "$T/out")"
expect_rc 0 "$OVFKIT" validate --schema "$tiny"
expect_rc 0 "$OVFKIT" validate --json "$tiny/tiny.ovf"
python3 - "$T/out" <<'PY' || fail "--json shape: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["findings"] == [] and d["errors"] == 0 and d["warnings"] == 0
assert d["kind"] == "ovf" and d["descriptor"] == "tiny.ovf" and d["ovf_version"] == "1.x"
assert d["schema"] == "ovfkit/1" and d["schema_checked"] is False and d["strict"] is False
PY

# Errors: exit 1, one "file:line: severity: message [code]" line each, then the verdict.
sed 's|<rasd:Connection>VM Network|<rasd:Connection>Lab|' "$tiny/tiny.ovf" >"$T/bad.ovf"
expect_rc 1 "$OVFKIT" validate "$T/bad.ovf"
line=$(grep -n '<rasd:Connection>' "$T/bad.ovf" | cut -d: -f1)
grep -qx "bad.ovf:$line: error: <Item> \"Network adapter 1\" (InstanceID \"5\") Connection \"Lab\" names no <Network> in the NetworkSection; add the network or correct the name \[OVF-REF-006\]" "$T/out" \
  || fail "finding line: $(cat "$T/out")"
tail -n 1 "$T/out" | grep -qx "$T/bad.ovf: invalid (1 error, 0 warnings)" || fail "verdict: $(tail -n 1 "$T/out")"
expect_rc 1 "$OVFKIT" validate --json "$T/bad.ovf"
python3 - "$T/out" "$line" <<'PY' || fail "--json findings: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["errors"] == 1
f = d["findings"]
assert len(f) == 1 and set(f[0]) == {"severity", "code", "message", "file", "line"}, f
assert f[0]["severity"] == "error" and f[0]["code"] == "OVF-REF-006"
assert f[0]["file"] == "bad.ovf" and f[0]["line"] == int(sys.argv[2])
PY

# Warnings pass, unless --strict.
sed 's|ovf:/disk/disk1|ovf://disk/disk1|' "$tiny/tiny.ovf" >"$T/warn.ovf"
expect_rc 0 "$OVFKIT" validate "$T/warn.ovf"
grep -q 'warning: .*\[OVF-REF-004\]' "$T/out" || fail "no OVF-REF-004 warning: $(cat "$T/out")"
expect_rc 1 "$OVFKIT" validate --strict "$T/warn.ovf"
grep -q 'strict fails on warnings' "$T/out" || fail "--strict verdict: $(cat "$T/out")"
expect_rc 1 "$OVFKIT" validate --strict --json "$T/warn.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and d["strict"] is True and d["errors"] == 0' "$T/out" \
  || fail "--strict --json: $(cat "$T/out")"
expect_rc 0 "$OVFKIT" validate -q "$T/warn.ovf"
grep -q ': warning: ' "$T/out" && fail "-q still prints warnings"

# --schema adds the DMTF schema's findings.
sed 's|<rasd:ElementName>Network adapter 1</rasd:ElementName>||' "$tiny/tiny.ovf" >"$T/noname.ovf"
expect_rc 0 "$OVFKIT" validate "$T/noname.ovf"
expect_rc 1 "$OVFKIT" validate --schema "$T/noname.ovf"
grep -q 'error: .*\[OVF-SCHEMA-001\]' "$T/out" || fail "no schema finding: $(cat "$T/out")"
grep -q 'schema checked' "$T/out" || fail "verdict does not say the schema was checked"
# No DMTF schema exists for the oVirt dialect (or OVF 0.9): the verdict says so.
sed 's|envelope/1"|envelope/1/"|g' "$tiny/tiny.ovf" >"$T/ovirt.ovf"
expect_rc 0 "$OVFKIT" validate --schema "$T/ovirt.ovf"
tail -n 1 "$T/out" | grep -q "not schema checked: no DMTF schema" || fail "oVirt verdict: $(tail -n 1 "$T/out")"
grep -q ", schema checked" "$T/out" && fail "oVirt verdict claims a schema check"
expect_rc 0 "$OVFKIT" validate --schema --json "$T/ovirt.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema_checked"] is False, d' "$T/out" \
  || fail "oVirt: schema_checked is not false"
expect_rc 0 "$OVFKIT" validate --schema --json "$tiny/tiny.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema_checked"] is True, d' "$T/out" \
  || fail "tiny: schema_checked is not true"

# File sizes: a directory and an OVA are complete packages.
mkdir "$T/pkg"
cp "$tiny/tiny.ovf" "$T/pkg/"
expect_rc 1 "$OVFKIT" validate "$T/pkg"
grep -q 'error: <File> "file1": "tiny.vmdk" is not in the package \[OVF-FILE-001\]' "$T/out" \
  || fail "missing file: $(cat "$T/out")"
head -c 1000 "$tiny/tiny.vmdk" >"$T/pkg/tiny.vmdk"
expect_rc 1 "$OVFKIT" validate "$T/pkg"
grep -q 'ovf:size is 132608 but "tiny.vmdk" is 1000 bytes.*\[OVF-FILE-003\]' "$T/out" || fail "size: $(cat "$T/out")"
cp "$tiny/tiny.vmdk" "$T/pkg/"
expect_rc 0 "$OVFKIT" validate "$T/pkg"
(cd "$T/pkg" && tar --format=ustar -cf "$T/tiny.ova" tiny.ovf tiny.vmdk)
expect_rc 0 "$OVFKIT" validate --schema --strict "$T/tiny.ova"
head -c 1000 "$tiny/tiny.vmdk" >"$T/pkg/tiny.vmdk"
(cd "$T/pkg" && tar --format=ustar -cf "$T/short.ova" tiny.ovf tiny.vmdk)
expect_rc 1 "$OVFKIT" validate "$T/short.ova"
grep -q '\[OVF-FILE-003\]' "$T/out" || fail "OVA size: $(cat "$T/out")"
# A descriptor alone: absent files are warnings.
mkdir "$T/alone"
cp "$tiny/tiny.ovf" "$T/alone/alone.ovf"
expect_rc 0 "$OVFKIT" validate "$T/alone/alone.ovf"
grep -q 'warning: .*is not beside the descriptor.*\[OVF-FILE-002\]' "$T/out" || fail "alone: $(cat "$T/out")"

# Exit codes: usage 2, I/O 3, refusal 4 (also as JSON).
expect_rc 2 "$OVFKIT" validate
expect_rc 2 "$OVFKIT" validate --no-such-flag "$tiny/tiny.ovf"
expect_rc 3 "$OVFKIT" validate "$T/does-not-exist.ovf"
expect_rc 3 "$OVFKIT" validate --json "$T/does-not-exist.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and d["error"]["exit_code"] == 3' "$T/out" \
  || fail "I/O error as JSON: $(cat "$T/out")"
printf '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x>&a;</x>\n' >"$T/dtd.ovf"
expect_rc 4 "$OVFKIT" validate "$T/dtd.ovf"
grep -q '^ovfkit: error: dtd.ovf:2: <!DOCTYPE is refused' "$T/err" || fail "refusal: $(cat "$T/err")"
expect_rc 4 "$OVFKIT" validate --json "$T/dtd.ovf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and d["error"]["code"] == "refused"' "$T/out" \
  || fail "refusal as JSON: $(cat "$T/out")"
# Two descriptors in a directory: name the one to use (usage).
cp "$tiny/tiny.ovf" "$T/pkg/other.ovf"
expect_rc 2 "$OVFKIT" validate "$T/pkg"

# Corpus: a meant-invalid descriptor fails, a real export passes with --schema.
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}/ovf
if [[ -d $corpus ]]; then
  expect_rc 1 "$OVFKIT" validate "$corpus/cot/invalid.ovf"
  grep -q '^invalid.ovf:10: error: .*\[OVF-REF-001\]$' "$T/out" || fail "cot/invalid: $(cat "$T/out")"
  expect_rc 0 "$OVFKIT" validate --schema "$corpus/vmware-vsphere/win19.ovf"
  expect_rc 1 "$OVFKIT" validate "$corpus/broken/vmware-jeos_corrupted.ovf"
  grep -q '\[OVF-PARSE-001\]' "$T/out" || fail "jeos: $(cat "$T/out")"
  # 0.9 has no bundled schema: said, not silently skipped.
  expect_rc 0 "$OVFKIT" validate --schema "$corpus/cot/v0.9.ovf"
  grep -q 'warning: no DMTF schema exists .*\[OVF-SCHEMA-003\]' "$T/out" || fail "0.9: $(cat "$T/out")"
fi
exit 0
