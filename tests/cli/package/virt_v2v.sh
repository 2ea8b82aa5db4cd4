#!/usr/bin/env bash
# virt-v2v, an independent OVA reader that also checks the manifest, reads
# every OVA ovfkit packs (plain, converted, SHA-512, signed) and sees the
# CPUs, memory, disks and NICs `ovfkit info` reports; a tampered member is
# refused by it as by `ovfkit verify`.
. "$(dirname "$0")/../lib.sh"
need virt-v2v
need python3
need openssl
export LIBGUESTFS_BACKEND=direct
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/pkg"
cp "$tiny/tiny.ovf" "$tiny/tiny.vmdk" "$T/pkg/"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj "/CN=ovfkit test signer" 2>/dev/null

expect_rc 0 "$OVFKIT" pack "$T/pkg" "$T/plain.ova"
expect_rc 0 "$OVFKIT" pack --manifest sha512 "$T/pkg" "$T/sha512.ova"
expect_rc 0 "$OVFKIT" pack --manifest sha1 "$T/pkg" "$T/sha1.ova"
expect_rc 0 "$OVFKIT" pack --sign "$T/key.pem" --cert "$T/cert.pem" "$T/pkg" "$T/signed.ova"
expect_rc 0 "$OVFKIT" convert "$T/plain.ova" "$T/qcow2.ova" --disk-format qcow2
expect_rc 0 "$OVFKIT" convert "$T/plain.ova" "$T/raw.ova" --disk-format raw

for ova in plain sha512 sha1 signed qcow2 raw; do
  expect_rc 0 virt-v2v -i ova "$T/$ova.ova" --print-source
  cp "$T/out" "$T/v2v-$ova"
  expect_rc 0 "$OVFKIT" info --json "$T/$ova.ova"
  python3 - "$T/out" "$T/v2v-$ova" "$ova" <<'PY' || fail "$ova: virt-v2v and ovfkit disagree: $(cat "$T/v2v-$ova")"
import json, re, sys
info = json.load(open(sys.argv[1]))
v2v = open(sys.argv[2]).read()
(vs,) = info["virtual_systems"]
field = lambda name: re.search(r"^\s*%s: (.*)$" % re.escape(name), v2v, re.M).group(1).strip()
assert field("nr vCPUs") == str(vs["cpus"]), (field("nr vCPUs"), vs["cpus"])
assert field("memory") == "%d (bytes)" % vs["memory_bytes"], field("memory")
disks = re.findall(r"^\t(\d+) \[(\w+)\]$", v2v.split("disks:")[1].split("removable media:")[0], re.M)
assert len(disks) == len(vs["disks"]), disks
assert [d[1] for d in disks] == [d["controller"].lower() for d in vs["disks"]], disks
nics = re.findall(r'^\tBridge "([^"]*)" \[(\w+)\]$', v2v, re.M)
assert [(n, m.lower()) for n, m in nics] == [(n["network"], n["model"].lower()) for n in vs["nics"]], nics
PY
done

# virt-v2v checks the manifest as ovfkit does: one flipped byte of the disk
# is refused by both.
mkdir "$T/x" && tar xf "$T/plain.ova" -C "$T/x"
python3 - "$T/x/tiny.vmdk" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
PY
(cd "$T/x" && tar cf "$T/tampered.ova" tiny.ovf tiny.mf tiny.vmdk)
expect_rc 4 "$OVFKIT" verify "$T/tampered.ova"
set +e; virt-v2v -i ova "$T/tampered.ova" --print-source >"$T/out" 2>&1; rc=$?; set -e
[[ $rc != 0 ]] || fail "virt-v2v accepted a tampered OVA"
grep -qi "checksum\|manifest\|sha" "$T/out" || fail "virt-v2v refused for another reason: $(cat "$T/out")"
echo ok
