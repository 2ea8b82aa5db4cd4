#!/usr/bin/env bash
# `ovfkit env`: the OVF environment of a corpus appliance (Cisco CSR 1000V,
# with a class and instance on its ProductSection, deployment options, a
# password and a fixed property) on an ISO read back with isoinfo
# (genisoimage), an independent ISO 9660 reader: the plain, Rock Ridge and
# Joliet names, the volume id, and the file content equal to --xml-only,
# valid per the DSP8027 schema (xmllint).
# The XML is parsed back with Python's reader; --prop values arrive
# literally whatever they hold; passwords never appear in messages or JSON.
. "$(dirname "$0")/../lib.sh"
need isoinfo
need python3
src=$OVFKIT_CORPUS_DIR/ovf/cot/csr1000v.ovf
[[ -f $src ]] || skip "corpus descriptor $src is not here"

secret='pa$$w"o<rd&'
hostile=$'r1"/><Property oe:key="x" oe:value="y"/></Environment>\n&amp;\tend'
args=(--deployment-option 2CPU-4GB --prop "mgmt-interface.1=$hostile" --prop "login-password=$secret"
      --prop com.cisco.csr1000v.mgmt-vlan.1=100 --prop com.cisco.csr1000v.hostname=r1)

expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" -o "$T/env.iso"
grep -q 'env.iso: OVF environment of "com.cisco.csr1000v", deployment option "2CPU-4GB"' "$T/out" ||
  fail "summary: $(cat "$T/out")"
! grep -qF "$secret" "$T/out" "$T/err" || fail "the password was printed"

# The independent reader: names in each tree, volume id, content.
isoinfo -i "$T/env.iso" -d >"$T/pvd"
grep -qx 'Volume id: OVF ENV' "$T/pvd" || fail "volume id: $(grep -i 'volume id' "$T/pvd")"
[[ $(isoinfo -i "$T/env.iso" -f) == "/OVF-ENV.XML;1" ]] || fail "ISO 9660 tree: $(isoinfo -i "$T/env.iso" -f)"
[[ $(isoinfo -i "$T/env.iso" -R -f) == "/ovf-env.xml" ]] || fail "Rock Ridge tree: $(isoinfo -i "$T/env.iso" -R -f)"
[[ $(isoinfo -i "$T/env.iso" -J -f) == "/ovf-env.xml" ]] || fail "Joliet tree: $(isoinfo -i "$T/env.iso" -J -f)"
isoinfo -i "$T/env.iso" -x '/OVF-ENV.XML;1' >"$T/from-iso.xml"

expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" --xml-only
cp "$T/out" "$T/stdout.xml"
cmp "$T/from-iso.xml" "$T/stdout.xml" || fail "the ISO's ovf-env.xml differs from --xml-only"
expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" --xml-only -o "$T/file.xml"
cmp "$T/file.xml" "$T/stdout.xml" || fail "--xml-only -o differs from stdout"

python3 - "$T/from-iso.xml" "$hostile" "$secret" <<'PY' || fail "environment: $(cat "$T/from-iso.xml")"
import sys, xml.etree.ElementTree as ET
path, hostile, secret = sys.argv[1:]
oe = "{http://schemas.dmtf.org/ovf/environment/1}"
root = ET.parse(path).getroot()
assert root.tag == oe + "Environment" and root.get(oe + "id") == "com.cisco.csr1000v", root.attrib
platform = root.find(oe + "PlatformSection")
assert platform.find(oe + "Kind").text == "ovfkit"
props = root.find(oe + "PropertySection").findall(oe + "Property")
values = {p.get(oe + "key"): p.get(oe + "value") for p in props}
assert len(values) == len(props), "duplicate keys"
# Literal text, newline and tab included: nothing was injected.
assert values["com.cisco.csr1000v.mgmt-interface.1"] == hostile, repr(values["com.cisco.csr1000v.mgmt-interface.1"])
assert "x" not in values
assert values["com.cisco.csr1000v.login-password.1"] == secret
assert values["com.cisco.csr1000v.mgmt-vlan.1"] == "100"
assert values["com.cisco.csr1000v.hostname.1"] == "r1"
assert values["com.cisco.csr1000v.config-version.1"] == "1.0"
assert all(k.startswith("com.cisco.csr1000v.") and k.endswith(".1") for k in values), values
PY

# Valid per the DMTF environment schema (DSP8027, with its CIM import read
# from the corpus copy instead of the network).
if command -v xmllint >/dev/null && [[ -f $OVFKIT_CORPUS_DIR/schemas/DSP8027.xsd ]]; then
  mkdir "$T/xsd"
  cp "$OVFKIT_CORPUS_DIR"/schemas/*.xsd "$T/xsd/"
  sed -i 's|schemaLocation="http://schemas.dmtf.org/wbem/wscim/1/common.xsd"|schemaLocation="common.xsd"|' \
    "$T/xsd/DSP8027.xsd"
  xmllint --noout --nonet --schema "$T/xsd/DSP8027.xsd" "$T/from-iso.xml" 2>"$T/xmllint" ||
    fail "DSP8027: $(cat "$T/xmllint")"
fi

# Same inputs, same bytes (fixed timestamps); an existing output needs --force.
expect_rc 4 "$OVFKIT" env "$src" "${args[@]}" -o "$T/env.iso"
expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" -o "$T/env.iso" --force
isoinfo -i "$T/env.iso" -x '/OVF-ENV.XML;1' | cmp - "$T/stdout.xml" || fail "rewritten ISO differs"
cp "$T/env.iso" "$T/first.iso"
expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" -o "$T/env.iso" --force
cmp "$T/first.iso" "$T/env.iso" || fail "two runs gave different images"

# JSON: the report, the password masked.
expect_rc 0 "$OVFKIT" env "$src" "${args[@]}" -o "$T/j.iso" --json
! grep -qF "$secret" "$T/out" "$T/err" || fail "the password is in the JSON"
python3 - "$T/out" <<'PY' || fail "json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "ovfkit/1" and d["format"] == "iso" and d["system"] == "com.cisco.csr1000v"
assert d["deployment_option"] == "2CPU-4GB"
p = {x["key"]: x for x in d["properties"]}
pw = p["com.cisco.csr1000v.login-password.1"]
assert pw["password"] is True and pw["value"] == "********" and pw["from_user"] is True, pw
assert p["com.cisco.csr1000v.config-version.1"]["user_configurable"] is False
assert "com.cisco.csr1000v.hostname.1" not in d["missing"]
assert "com.cisco.csr1000v.pnsc-ipv4-addr.1" in d["missing"], d["missing"]
PY

# Each --prop takes one argument, commas included, before or after SOURCE.
expect_rc 0 "$OVFKIT" env --prop mgmt-ipv4-network=192.0.2.0/24,x --prop mgmt-vlan=7 "$src" --xml-only
grep -q 'oe:key="com.cisco.csr1000v.mgmt-ipv4-network.1" oe:value="192.0.2.0/24,x"' "$T/out" ||
  fail "comma value: $(cat "$T/out")"
grep -q 'oe:key="com.cisco.csr1000v.mgmt-vlan.1" oe:value="7"' "$T/out" || fail "second --prop"

# Refusals: exit 2 naming the key, never the password, nothing written.
expect_rc 2 "$OVFKIT" env "$src" --prop nosuch=1 -o "$T/bad.iso"
grep -q '"nosuch"' "$T/err" || fail "unknown key: $(cat "$T/err")"
expect_rc 2 "$OVFKIT" env "$src" --prop config-version=2.0 -o "$T/bad.iso"
grep -q 'not user-configurable' "$T/err" || fail "fixed property: $(cat "$T/err")"
expect_rc 2 "$OVFKIT" env "$src" --prop "hostname=$(printf 'h%.0s' {1..64})" -o "$T/bad.iso"
grep -q 'hostname.1.*MaxLen 63' "$T/err" || fail "MaxLen: $(cat "$T/err")"
long_secret="$secret$(printf 'z%.0s' {1..30})"
expect_rc 2 "$OVFKIT" env "$src" --prop "login-password=$long_secret" -o "$T/bad.iso"
grep -q 'login-password.1.*\*\*\*\*\*\*\*\*' "$T/err" || fail "password refusal: $(cat "$T/err")"
! grep -qF "$secret" "$T/err" || fail "the refused password was printed"
expect_rc 2 "$OVFKIT" env "$src" --prop "login-password=$long_secret" -o "$T/bad.iso" --json
! grep -qF "$secret" "$T/out" || fail "the refused password is in the JSON error"
expect_rc 2 "$OVFKIT" env "$src" --deployment-option 3CPU -o "$T/bad.iso"
grep -q '"1CPU-4GB", "2CPU-4GB", "4CPU-4GB", "4CPU-8GB"' "$T/err" || fail "options: $(cat "$T/err")"
expect_rc 2 "$OVFKIT" env "$src" --prop novalue -o "$T/bad.iso"
expect_rc 2 "$OVFKIT" env "$src" --system nosuch -o "$T/bad.iso"
expect_rc 2 "$OVFKIT" env "$src"
[[ ! -e $T/bad.iso ]] || fail "a refused run wrote its output"
