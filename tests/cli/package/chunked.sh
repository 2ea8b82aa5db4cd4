#!/usr/bin/env bash
# Chunked (ovf:chunkSize) and gzip-compressed (ovf:compression) references,
# made here with split, gzip and GNU tar: info reports the stored size,
# validate checks the chunks, verify hashes each chunk by its member name, and
# a broken chunk layout is reported by both.
. "$(dirname "$0")/../lib.sh"
need openssl
need python3
need split
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
chunk=50000

# pkg DIR SIZE ATTRS: tiny.ovf with its File rewritten, no disk.
pkg() {
  mkdir "$1"
  sed "s|<File ovf:id=\"file1\" ovf:href=\"tiny.vmdk\" ovf:size=\"132608\"/>|<File ovf:id=\"file1\" ovf:href=\"tiny.vmdk\" ovf:size=\"$2\" $3/>|" \
    "$tiny/tiny.ovf" >"$1/tiny.ovf"
  grep -q "ovf:size=\"$2\"" "$1/tiny.ovf" || fail "descriptor rewrite"
}
mf() { # mf DIR FILES...: a SHA256 manifest of tiny.ovf and FILES
  local d=$1; shift
  (cd "$d" && for f in tiny.ovf "$@"; do
     echo "SHA256($f)= $(openssl dgst -sha256 -r "$f" | cut -d' ' -f1)"
   done) >"$d/tiny.mf"
}

# Chunked: tiny.vmdk.000000000 .. 000000002.
pkg "$T/c" 132608 "ovf:chunkSize=\"$chunk\""
split -b $chunk -d -a 9 "$tiny/tiny.vmdk" "$T/c/tiny.vmdk."
chunks=$(cd "$T/c" && ls tiny.vmdk.0*)
[[ $(wc -w <<<"$chunks") == 3 ]] || fail "split: $chunks"
mf "$T/c" $chunks
expect_rc 0 "$OVFKIT" validate "$T/c"
expect_rc 0 "$OVFKIT" info --json "$T/c"
python3 - "$T/out" <<'PY' || fail "info: $(cat "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["stored_size"] == 132608 and f["chunk_size"] == "50000", f
PY
expect_rc 0 "$OVFKIT" verify --json "$T/c"
python3 - "$T/out" <<'PY' || fail "verify: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
names = [f["name"] for f in d["files"]]
assert names == ["tiny.ovf", "tiny.vmdk.000000000", "tiny.vmdk.000000001",
                 "tiny.vmdk.000000002"], names
assert d["verified"] is True
PY
(cd "$T/c" && tar --format=ustar -cf "$T/c.ova" tiny.ovf tiny.mf $chunks)
expect_rc 0 "$OVFKIT" verify "$T/c.ova"
expect_rc 0 "$OVFKIT" validate "$T/c.ova"

# A gap (chunk 1 removed; the manifest still lists it) and a short middle chunk.
cp -r "$T/c" "$T/gap"
rm "$T/gap/tiny.vmdk.000000001"
expect_rc 1 "$OVFKIT" validate "$T/gap"
grep -q "chunk 1 is missing.*OVF-FILE-006" "$T/out" || fail "gap: $(cat "$T/out")"
expect_rc 4 "$OVFKIT" verify "$T/gap"
grep -q "MF-CHUNKS" "$T/out" || fail "gap verify: $(cat "$T/out")"
cp -r "$T/c" "$T/short"
truncate -s 40000 "$T/short/tiny.vmdk.000000001"
pkg "$T/s2" 122608 "ovf:chunkSize=\"$chunk\""
cp "$T/short"/tiny.vmdk.0* "$T/s2/"
expect_rc 1 "$OVFKIT" validate "$T/s2"
grep -q "every chunk but the last.*OVF-FILE-006" "$T/out" || fail "short: $(cat "$T/out")"

# gzip: ovf:size is the compressed size; the manifest hashes the stored bytes.
gzip -n -c "$tiny/tiny.vmdk" >"$T/tiny.vmdk.gz"
gz=$(stat -c %s "$T/tiny.vmdk.gz")
pkg "$T/g" "$gz" 'ovf:compression="gzip"'
cp "$T/tiny.vmdk.gz" "$T/g/tiny.vmdk"
mf "$T/g" tiny.vmdk
expect_rc 0 "$OVFKIT" validate "$T/g"
expect_rc 0 "$OVFKIT" verify "$T/g"
expect_rc 0 "$OVFKIT" info --json "$T/g"
python3 - "$T/out" "$gz" <<'PY' || fail "info gzip: $(cat "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["stored_size"] == int(sys.argv[2]) and f["compression"] == "gzip", f
PY
