#!/usr/bin/env bash
# Packages at http(s) URLs, served by tests/support/http_server.py on
# 127.0.0.1: an OVA and a descriptor with its files beside it are inspected,
# validated, verified and converted with and without range requests; a tampered member
# is named; a server that lies about sizes, redirects to file: or in a loop,
# stalls, or shows a certificate nobody trusts is refused.
. "$(dirname "$0")/../lib.sh"
need python3
need openssl
server=$OVFKIT_SOURCE_DIR/tests/support/http_server.py
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/www"
cp "$tiny/tiny.ovf" "$tiny/tiny.vmdk" "$tiny/tiny.mf" "$T/www/"
(cd "$T/www" && tar --format=ustar -cf tiny.ova tiny.ovf tiny.mf tiny.vmdk)
cp -r "$T/www" "$T/bad"
python3 - "$T/bad/tiny.vmdk" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
PY
(cd "$T/bad" && tar --format=ustar -cf "$T/www/bad.ova" tiny.ovf tiny.mf tiny.vmdk)

pid=""
stop() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
trap 'stop; rm -rf "$T"' EXIT
start() { # start [FLAGS...]: serves $T/www, sets $url
  stop
  rm -f "$T/port"
  python3 "$server" "$T/www" --port-file "$T/port" "$@" & pid=$!
  for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.05; done
  [[ -s $T/port ]] || fail "the test server did not start"
  url=http://127.0.0.1:$(cat "$T/port")
}

for ranges in on off; do
  if [[ $ranges == on ]]; then start; spooled=False; else start --no-ranges; spooled=True; fi
  for target in tiny.ova tiny.ovf; do
    expect_rc 0 "$OVFKIT" info --json "$url/$target"
    python3 - "$T/out" "$spooled" "$target" <<'PY' || fail "info $target ($ranges): $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
kind = "ova" if sys.argv[3].endswith(".ova") else "ovf"
assert d["origin"] == "url" and d["kind"] == kind, d
if kind == "ova":
    assert str(d["spooled"]) == sys.argv[2], d["spooled"]
assert d["manifest"] == {"present": True, "name": "tiny.mf", "algorithm": "SHA256", "ok": True,
                         "failed": []}, d["manifest"]
assert d["signature"] == {"present": False}, d["signature"]
assert d["files"][0]["stored_size"] == 132608, d["files"]
PY
    expect_rc 0 "$OVFKIT" validate "$url/$target"
    grep -q "manifest: tiny.mf (SHA256), 2 files, all match" "$T/out" || fail "validate: $(cat "$T/out")"
    expect_rc 0 "$OVFKIT" verify --json "$url/$target"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["manifest_ok"] and d["verified"] and [f["name"] for f in d["files"]] == ["tiny.ovf", "tiny.vmdk"], d' "$T/out" \
      || fail "verify $target ($ranges): $(cat "$T/out")"
  done
  # Converted from its URL: the same bytes as from the local files, and a
  # disk re-encoded on the way reads back equal.
  for target in tiny.ova tiny.ovf; do
    expect_rc 0 "$OVFKIT" convert --mtime 1 "$url/$target" "$T/from-url-$ranges-$target.ova"
    expect_rc 0 "$OVFKIT" convert --force --mtime 1 "$T/www/$target" "$T/from-file-$target.ova"
    cmp "$T/from-url-$ranges-$target.ova" "$T/from-file-$target.ova" || fail "convert $target from a URL ($ranges)"
  done
  expect_rc 0 "$OVFKIT" convert "$url/tiny.ova" "$T/q-$ranges.ova" --disk-format qcow2
  expect_rc 0 "$OVFKIT" verify "$T/q-$ranges.ova"
  tar xOf "$T/q-$ranges.ova" tiny.qcow2 >"$T/q.qcow2"
  expect_rc 0 "$OVFKIT" disk compare "$T/www/tiny.vmdk" "$T/q.qcow2"
  expect_rc 4 "$OVFKIT" convert "$url/bad.ova" "$T/bad-copy.ova"
  [[ ! -e $T/bad-copy.ova ]] || fail "a tampered package converted from a URL left an OVA"

  expect_rc 4 "$OVFKIT" verify "$url/bad.ova"
  grep -q "tiny.vmdk: SHA256 digest .* does not match" "$T/out" || fail "tampered ($ranges): $(cat "$T/out")"
  expect_rc 1 "$OVFKIT" validate "$url/bad.ova"
  grep -q "MISMATCH: tiny.vmdk" "$T/out" || fail "validate tampered ($ranges): $(cat "$T/out")"
  expect_rc 3 "$OVFKIT" info "$url/absent.ova"
  grep -q "not found (HTTP 404)" "$T/err" || fail "404: $(cat "$T/err")"
done

start --lie
expect_rc 4 "$OVFKIT" info "$url/tiny.ova"
grep -q "fewer bytes than its Content-Length" "$T/err" || fail "lie: $(cat "$T/err")"
start --lie --no-ranges
expect_rc 4 "$OVFKIT" verify "$url/tiny.ova"
grep -q "refused" "$T/err" || fail "lie without ranges: $(cat "$T/err")"
start --redirect-file
expect_rc 4 "$OVFKIT" info "$url/tiny.ova"
grep -q "redirects to a scheme other than http or https" "$T/err" || fail "file: $(cat "$T/err")"
start --redirect-loop
expect_rc 4 "$OVFKIT" verify "$url/tiny.ova"
grep -q "more than 5 redirects" "$T/err" || fail "loop: $(cat "$T/err")"
start --hang
SECONDS=0
expect_rc 3 "$OVFKIT" info --timeout 1 "$url/tiny.ova"
grep -q "timed out" "$T/err" || fail "hang: $(cat "$T/err")"
((SECONDS < 30)) || fail "a stalled server held info for $SECONDS s"

# https: a certificate nobody trusts is refused unless --no-verify-tls.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
start --tls "$T/cert.pem" "$T/key.pem"
url=${url/http:/https:}
expect_rc 4 "$OVFKIT" info "$url/tiny.ova"
grep -q "TLS certificate does not verify" "$T/err" || fail "tls: $(cat "$T/err")"
expect_rc 0 "$OVFKIT" verify --no-verify-tls "$url/tiny.ova"
stop
