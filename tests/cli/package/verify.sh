#!/usr/bin/env bash
# `ovfkit verify`: manifests and signatures made here with sha256sum and
# openssl, in a directory and in an OVA; every tampered byte is refused with
# exit 4 naming the member; trust is reported separately from validity.
. "$(dirname "$0")/../lib.sh"
need openssl
need python3
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/pkg"
cp "$tiny/tiny.ovf" "$tiny/tiny.vmdk" "$T/pkg/"
mf() { # mf DIR ALG: the canonical manifest of tiny.ovf and tiny.vmdk
  (cd "$1" && for f in tiny.ovf tiny.vmdk; do
     echo "$2($f)= $(openssl dgst -"$(tr A-Z a-z <<<"$2")" -r "$f" | cut -d' ' -f1)"
   done) >"$1/tiny.mf"
}
mf "$T/pkg" SHA256

expect_rc 0 "$OVFKIT" verify "$T/pkg"
grep -q "verified$" "$T/out" || fail "verdict: $(cat "$T/out")"
grep -q "signature: none" "$T/out" || fail "unsigned: $(cat "$T/out")"
expect_rc 0 "$OVFKIT" verify --json "$T/pkg"
python3 - "$T/out" <<'PY' || fail "json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "ovfkit/1" and d["manifest_ok"] is True and d["verified"] is True
assert d["signature"] == {"present": False}
assert [(f["name"], f["algorithm"], f["ok"]) for f in d["files"]] == \
    [("tiny.ovf", "SHA256", True), ("tiny.vmdk", "SHA256", True)], d["files"]
PY

# An OVA of the same files verifies too; then one flipped byte per member.
(cd "$T/pkg" && tar cf "$T/tiny.ova" tiny.ovf tiny.mf tiny.vmdk)
expect_rc 0 "$OVFKIT" verify "$T/tiny.ova"
for member in tiny.ovf tiny.vmdk; do
  cp -r "$T/pkg" "$T/bad"
  python3 - "$T/bad/$member" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
PY
  expect_rc 4 "$OVFKIT" verify "$T/bad"
  grep -q "$member: SHA256 digest .* does not match" "$T/out" || fail "$member: $(cat "$T/out")"
  (cd "$T/bad" && tar cf "$T/bad.ova" tiny.ovf tiny.mf tiny.vmdk)
  expect_rc 4 "$OVFKIT" verify "$T/bad.ova"
  grep -q "MF-MISMATCH" "$T/out" || fail "$member in an OVA: $(cat "$T/out")"
  rm -rf "$T/bad" "$T/bad.ova"
done

# Manifest gaps: a file left out, a line for a file that is not there, none at all.
cp -r "$T/pkg" "$T/gap"
grep -v tiny.vmdk "$T/pkg/tiny.mf" >"$T/gap/tiny.mf"
expect_rc 4 "$OVFKIT" verify "$T/gap"
grep -q "tiny.vmdk is part of the package but not listed" "$T/out" || fail "gap: $(cat "$T/out")"
cp "$T/pkg/tiny.mf" "$T/gap/tiny.mf"
echo "SHA256(ghost.iso)= $(printf '%064d' 0)" >>"$T/gap/tiny.mf"
expect_rc 4 "$OVFKIT" verify "$T/gap"
grep -q "ghost.iso is listed in the manifest but is not a file" "$T/out" || fail "extra: $(cat "$T/out")"
rm "$T/gap/tiny.mf"
expect_rc 4 "$OVFKIT" verify "$T/gap"
grep -q "MF-ABSENT" "$T/out" || fail "absent: $(cat "$T/out")"

# The spaced form some producers write is read with a warning; SHA-1 warns.
mkdir "$T/sp" && cp "$T/pkg/tiny.ovf" "$T/pkg/tiny.vmdk" "$T/sp/"
(cd "$T/sp" && sha1sum --tag tiny.ovf tiny.vmdk >tiny.mf)
expect_rc 0 "$OVFKIT" verify "$T/sp"
grep -q "MF-SPACED" "$T/out" || fail "spaced: $(cat "$T/out")"
grep -q "MF-SHA1" "$T/out" || fail "sha1: $(cat "$T/out")"

# Signatures: a test CA, a signer it certifies, another CA, a self-signed key.
cd "$T"
ca_ext=(-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign)
for ca in ca other; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.pem -days 30 \
    -subj "/CN=test $ca" "${ca_ext[@]}" 2>/dev/null
done
openssl req -newkey rsa:2048 -nodes -keyout signer.key -out signer.csr -subj "/CN=signer" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n' >ext
openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile ext -out signer.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 30 -subj "/CN=self" 2>/dev/null
sign() { # sign KEY CERTS: ovftool's recipe, by hand
  { echo "SHA256(tiny.mf)= $(openssl dgst -sha256 -sign "$1" -hex pkg/tiny.mf | sed 's/.*= //')"
    cat "$2"; } >pkg/tiny.cert
}
sign signer.key <(cat signer.pem ca.pem)
expect_rc 0 "$OVFKIT" verify --trust ca.pem --require-trust --json pkg
python3 - "$T/out" <<'PY' || fail "trusted: $(cat "$T/out")"
import json, sys
s = json.load(open(sys.argv[1]))["signature"]
assert s["present"] and s["valid"] and s["trusted"] and s["reason"] == "", s
assert "CN=signer" in s["subject"] and "CN=test ca" in s["issuer"] and s["not_after"].endswith("Z"), s
PY
expect_rc 0 "$OVFKIT" verify --trust other.pem pkg
grep -q "not trusted: unknown CA" "$T/out" || fail "other CA: $(cat "$T/out")"
expect_rc 4 "$OVFKIT" verify --trust other.pem --require-trust pkg
sign self.key self.pem
expect_rc 0 "$OVFKIT" verify --trust ca.pem pkg
grep -q "not trusted: self-signed" "$T/out" || fail "self-signed: $(cat "$T/out")"
expect_rc 4 "$OVFKIT" verify --trust ca.pem --require-trust pkg
# A signature over another manifest is invalid, trust or not.
sign signer.key <(cat signer.pem ca.pem)
echo >>pkg/tiny.mf
expect_rc 4 "$OVFKIT" verify --trust ca.pem pkg
grep -q "CERT-INVALID" "$T/out" || fail "invalid: $(cat "$T/out")"

# `ovfkit sign` writes what the recipe above wrote by hand, for a directory
# and for an OVA (rewritten with the certificate after the manifest).
mf "$T/pkg" SHA256
rm -f pkg/tiny.cert
cat signer.pem ca.pem >chain.pem
expect_rc 0 "$OVFKIT" sign pkg --key signer.key --cert chain.pem
grep -q "signed tiny.mf (SHA256) as tiny.cert; signer CN=signer" "$T/out" || fail "sign: $(cat "$T/out")"
expect_rc 0 "$OVFKIT" verify --trust ca.pem --require-trust pkg
expect_rc 4 "$OVFKIT" sign pkg --key signer.key --cert signer.pem
grep -q "already exists" "$T/err" || fail "sign over a certificate: $(cat "$T/err")"
expect_rc 0 "$OVFKIT" sign pkg --key self.key --cert self.pem --force --digest sha512
expect_rc 0 "$OVFKIT" verify --json pkg
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["signature"]; assert s["valid"] and s["reason"] == "self-signed", s' "$T/out" \
  || fail "re-signed: $(cat "$T/out")"
rm pkg/tiny.cert
(cd pkg && tar cf "$T/u.ova" tiny.ovf tiny.mf tiny.vmdk)
expect_rc 0 "$OVFKIT" sign u.ova --key signer.key --cert signer.pem -o s.ova --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["output"] == "s.ova" and d["certificate"] == "tiny.cert", d' "$T/out" \
  || fail "sign --json: $(cat "$T/out")"
[[ $(tar tf s.ova | tr '\n' ' ') == "tiny.ovf tiny.mf tiny.cert tiny.vmdk " ]] || fail "member order: $(tar tf s.ova)"
expect_rc 0 "$OVFKIT" verify --trust ca.pem s.ova
grep -q "signature: valid, trusted" "$T/out" || fail "signed OVA: $(cat "$T/out")"
python3 -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); assert [m.name for m in t] == ["tiny.ovf", "tiny.mf", "tiny.cert", "tiny.vmdk"]' s.ova \
  || fail "tarfile reads the signed OVA differently"
# In place, and a tampered package is not signed at all.
expect_rc 0 "$OVFKIT" sign u.ova --key signer.key --cert signer.pem
expect_rc 0 "$OVFKIT" verify --trust ca.pem u.ova
cp -r pkg tampered && echo x >>tampered/tiny.vmdk
expect_rc 4 "$OVFKIT" sign tampered --key signer.key --cert signer.pem
grep -q "not signed: tiny.vmdk" "$T/err" || fail "tampered: $(cat "$T/err")"
[[ ! -e tampered/tiny.cert ]] || fail "a tampered package got a certificate"
# A tampered OVA: members are hashed while they are copied, and the new OVA
# is dropped on the mismatch; signed in place, the original stays as it was.
(cd tampered && tar cf "$T/t.ova" tiny.ovf tiny.mf tiny.vmdk)
cp t.ova t.orig
expect_rc 4 "$OVFKIT" sign t.ova --key signer.key --cert signer.pem -o t2.ova
grep -q "not signed: tiny.vmdk: SHA256 digest" "$T/err" || fail "tampered OVA: $(cat "$T/err")"
[[ ! -e t2.ova ]] || fail "a tampered OVA was written"
expect_rc 4 "$OVFKIT" sign t.ova --key signer.key --cert signer.pem
cmp -s t.ova t.orig || fail "signing a tampered OVA in place changed it"
[[ -z $(ls -A | grep ovfkit-tmp) ]] || fail "temporary files left: $(ls -A)"
echo "ok"
