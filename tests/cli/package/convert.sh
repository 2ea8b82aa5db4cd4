#!/usr/bin/env bash
# `ovfkit convert`, `pack` and `unpack`: OVF directory <-> OVA round trips
# are byte-identical, members come in DSP0243's order, disks converted on the
# way read back equal to the source, manifests verify, GNU tar and Python's
# tarfile read every OVA without a warning, and a source whose files do not
# match its manifest is refused with nothing written.
. "$(dirname "$0")/../lib.sh"
need python3
need tar
need qemu-img
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/pkg"
cp "$tiny/tiny.ovf" "$tiny/tiny.vmdk" "$tiny/tiny.mf" "$T/pkg/"

members() { tar tf "$1" | tr '\n' ' '; }

# Directory -> OVA: descriptor, manifest, then the files; the manifest kept.
expect_rc 0 "$OVFKIT" pack "$T/pkg" "$T/a.ova"
[[ $(members "$T/a.ova") == "tiny.ovf tiny.mf tiny.vmdk " ]] || fail "order: $(members "$T/a.ova")"
expect_rc 0 "$OVFKIT" verify "$T/a.ova"
tar xOf "$T/a.ova" tiny.mf | cmp - "$T/pkg/tiny.mf" || fail "the source manifest was not kept"
tar xOf "$T/a.ova" tiny.vmdk | cmp - "$T/pkg/tiny.vmdk" || fail "the disk changed"

# OVA -> directory -> OVA: the same bytes (member times are the source's).
expect_rc 0 "$OVFKIT" unpack "$T/a.ova" "$T/d"
for f in tiny.ovf tiny.mf tiny.vmdk; do cmp "$T/d/$f" "$T/pkg/$f" || fail "unpacked $f differs"; done
expect_rc 0 "$OVFKIT" pack "$T/d" "$T/b.ova"
cmp "$T/a.ova" "$T/b.ova" || fail "dir -> OVA -> dir -> OVA is not byte-identical"
expect_rc 0 "$OVFKIT" convert "$T/b.ova" "$T/c.ova"
cmp "$T/a.ova" "$T/c.ova" || fail "OVA -> OVA is not byte-identical"

# Independent tar readers list and extract without a word.
tar tvf "$T/a.ova" >/dev/null 2>"$T/tarerr" && [[ ! -s $T/tarerr ]] || fail "GNU tar: $(cat "$T/tarerr")"
python3 -W error - "$T/a.ova" "$T/py" <<'PY' || fail "tarfile"
import sys, tarfile
with tarfile.open(sys.argv[1], errorlevel=2) as t:
    assert [m.name for m in t.getmembers()] == ["tiny.ovf", "tiny.mf", "tiny.vmdk"]
    assert all(m.isreg() and m.mode == 0o644 for m in t.getmembers())
    assert not any(m.pax_headers for m in t.getmembers()), "plain ustar where nothing needs pax"
    t.extractall(sys.argv[2], filter="data")
PY
cmp "$T/py/tiny.vmdk" "$T/pkg/tiny.vmdk" || fail "tarfile extracted other bytes"

# An OVA on a pipe: the same bytes as in a file; a new manifest goes at the
# end (DSP0243 1.1/2.x); converting on the way needs a seekable target.
"$OVFKIT" pack -q "$T/pkg" - >"$T/pipe.ova" || fail "pack to stdout"
cmp "$T/pipe.ova" "$T/a.ova" || fail "the piped OVA differs from the file"
"$OVFKIT" pack -q --manifest sha512 "$T/pkg" - | cat >"$T/pipe512.ova"
[[ $(members "$T/pipe512.ova") == "tiny.ovf tiny.vmdk tiny.mf " ]] || fail "pipe order: $(members "$T/pipe512.ova")"
expect_rc 0 "$OVFKIT" verify "$T/pipe512.ova"
expect_rc 2 "$OVFKIT" pack --disk-format qcow2 "$T/pkg" -
expect_rc 2 "$OVFKIT" pack --json "$T/pkg" -
# Converted, compressed or chunked on the way to a pipe: sized by a first
# pass, then sent with plain headers; the same disk bytes as into a file.
"$OVFKIT" convert -q --mtime 5 --disk-format raw "$T/a.ova" - >"$T/pipe-raw.ova" || fail "raw to a pipe"
expect_rc 0 "$OVFKIT" convert --mtime 5 --disk-format raw "$T/a.ova" "$T/file-raw.ova"
expect_rc 0 "$OVFKIT" verify "$T/pipe-raw.ova"
cmp <(tar xOf "$T/pipe-raw.ova" tiny.img) <(tar xOf "$T/file-raw.ova" tiny.img) || fail "piped raw disk differs"
"$OVFKIT" convert -q --disk-format vmdk-stream --compress --chunk-size 40000 "$T/a.ova" - >"$T/pipe-gz.ova" ||
  fail "compressed chunks to a pipe"
expect_rc 0 "$OVFKIT" verify "$T/pipe-gz.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/pipe-gz.ova"
python3 -W error -c 'import sys, tarfile
with tarfile.open(sys.argv[1]) as t: assert not any(m.pax_headers for m in t.getmembers())' "$T/pipe-gz.ova" ||
  fail "a piped OVA needs no pax size records"

# A disk converted on the way: new href, format URI and sizes; the disk
# reads back as the source's guest bytes; the descriptor still validates.
for fmt in qcow2 vmdk-stream vhd vhdx vdi raw; do
  expect_rc 0 "$OVFKIT" convert --json "$T/a.ova" "$T/$fmt.ova" --disk-format "$fmt"
  python3 - "$T/out" "$fmt" <<'PY' || fail "$fmt json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
fmt = sys.argv[2]
(f,) = d["files"]
assert d["descriptor"]["rewritten"] == (fmt != "vmdk-stream"), d
assert f["action"] == ("copied" if fmt == "vmdk-stream" else "converted"), f
assert f["format"] == fmt and f["source_format"] == "vmdk-stream", f
assert d["manifest"] == {"name": "tiny.mf", "algorithm": "SHA256", "kept": fmt == "vmdk-stream"}
PY
  expect_rc 0 "$OVFKIT" verify "$T/$fmt.ova"
  expect_rc 0 "$OVFKIT" validate --schema "$T/$fmt.ova"
  mkdir "$T/x-$fmt"
  tar xf "$T/$fmt.ova" -C "$T/x-$fmt"
  disk=$(tar tf "$T/$fmt.ova" | sed -n 3p)
  size=$(stat -c %s "$T/x-$fmt/$disk")
  grep -q "ovf:href=\"$disk\" ovf:size=\"$size\"" "$T/x-$fmt/tiny.ovf" || [[ $fmt == vmdk-stream ]] ||
    fail "$fmt: File does not name $disk with its size $size: $(grep File "$T/x-$fmt/tiny.ovf")"
  expect_rc 0 "$OVFKIT" disk compare "$T/pkg/tiny.vmdk" "$T/x-$fmt/$disk" ${fmt:+-F $fmt}
  qemu-img check "$T/x-$fmt/$disk" >/dev/null 2>&1 || [[ $fmt == raw || $fmt == vhd* ]] ||
    fail "qemu-img check $fmt"
done
grep -q 'ovf:format="http://www.gnome.org/~markmc/qcow-image-format.html"' "$T/x-qcow2/tiny.ovf" ||
  fail "qcow2 format URI"
grep -q 'ovf:populatedSize="262144"' "$T/x-qcow2/tiny.ovf" || fail "populatedSize"

# Compressed and chunked files written: the stored bytes gunzip and join
# back into the file; a new manifest lists every chunk and, since the chunk
# count is known only at the end, follows them; the descriptor says so.
need gzip
expect_rc 0 "$OVFKIT" convert --compress "$T/a.ova" "$T/gz.ova"
tar xOf "$T/gz.ova" tiny.vmdk | gzip -dc | cmp - "$T/pkg/tiny.vmdk" || fail "--compress: not the file gzipped"
tar xOf "$T/gz.ova" tiny.ovf | grep -q 'ovf:compression="gzip"' || fail "--compress: descriptor"
expect_rc 0 "$OVFKIT" verify "$T/gz.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/gz.ova"
expect_rc 0 "$OVFKIT" convert --chunk-size 50000 "$T/a.ova" "$T/ch.ova"
[[ $(members "$T/ch.ova") == "tiny.ovf tiny.vmdk.000000000 tiny.vmdk.000000001 tiny.vmdk.000000002 tiny.mf " ]] ||
  fail "chunk members: $(members "$T/ch.ova")"
mkdir "$T/chx" && tar xf "$T/ch.ova" -C "$T/chx"
cat "$T"/chx/tiny.vmdk.00000000? | cmp - "$T/pkg/tiny.vmdk" || fail "chunks do not join into the file"
[[ $(stat -c %s "$T/chx/tiny.vmdk.000000000") == 50000 ]] || fail "chunk size"
grep -q 'ovf:chunkSize="50000"' "$T/chx/tiny.ovf" || fail "chunkSize attribute"
[[ $(grep -c '^SHA256(tiny.vmdk.00000000[0-2])= ' "$T/chx/tiny.mf") == 3 ]] || fail "manifest lines per chunk"
expect_rc 0 "$OVFKIT" verify "$T/ch.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/ch.ova"
expect_rc 0 "$OVFKIT" convert --compress=9 --chunk-size 1000 "$T/a.ova" "$T/gzch"
cat "$T"/gzch/tiny.vmdk.0* | gzip -dc | cmp - "$T/pkg/tiny.vmdk" || fail "compressed chunks"
expect_rc 0 "$OVFKIT" verify "$T/gzch"
# Disks stored compressed or chunked convert like any other.
for src in gz.ova ch.ova gzch; do
  expect_rc 0 "$OVFKIT" convert --disk-format qcow2 "$T/$src" "$T/$src-q.ova"
  expect_rc 0 "$OVFKIT" verify "$T/$src-q.ova"
  tar xOf "$T/$src-q.ova" tiny.qcow2 >"$T/q.qcow2"
  expect_rc 0 "$OVFKIT" disk compare "$T/pkg/tiny.vmdk" "$T/q.qcow2"
done
# Compression takes the disk front to back: qcow2 patches its tables.
expect_rc 2 "$OVFKIT" convert --compress --disk-format qcow2 "$T/a.ova" "$T/no.ova"
expect_rc 0 "$OVFKIT" convert --compress --chunk-size 20000 --disk-format raw "$T/a.ova" "$T/rawgz.ova"
expect_rc 0 "$OVFKIT" verify "$T/rawgz.ova"
mkdir "$T/rawgz" && tar xf "$T/rawgz.ova" -C "$T/rawgz"
cat "$T"/rawgz/tiny.img.0* | gzip -dc >"$T/rawgz.img"
expect_rc 0 "$OVFKIT" disk compare -F raw "$T/pkg/tiny.vmdk" "$T/rawgz.img"

# OVF 1.x <-> 2.0: valid against the target version's schema both ways.
expect_rc 0 "$OVFKIT" convert --ovf-version 2.0 "$T/a.ova" "$T/v2.ova"
tar xOf "$T/v2.ova" tiny.ovf | grep -q 'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2"' || fail "2.0 namespace"
expect_rc 0 "$OVFKIT" validate --schema "$T/v2.ova"
expect_rc 0 "$OVFKIT" verify "$T/v2.ova"
expect_rc 0 "$OVFKIT" convert --ovf-version 1.0 "$T/v2.ova" "$T/v1.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/v1.ova"
expect_rc 2 "$OVFKIT" convert --ovf-version 3.0 "$T/a.ova" "$T/v3.ova"

# Manifest choices.
expect_rc 0 "$OVFKIT" pack --manifest sha512 "$T/pkg" "$T/m512.ova"
tar xOf "$T/m512.ova" tiny.mf | grep -q '^SHA512(tiny.ovf)= [0-9a-f]\{128\}$' || fail "sha512 manifest"
expect_rc 0 "$OVFKIT" verify "$T/m512.ova"
expect_rc 0 "$OVFKIT" pack --manifest none "$T/pkg" "$T/none.ova"
[[ $(members "$T/none.ova") == "tiny.ovf tiny.vmdk " ]] || fail "--manifest none: $(members "$T/none.ova")"
mkdir "$T/bare" && cp "$T/pkg/tiny.ovf" "$T/pkg/tiny.vmdk" "$T/bare/"
expect_rc 0 "$OVFKIT" pack "$T/bare" "$T/bare.ova"
tar xOf "$T/bare.ova" tiny.mf | grep -q '^SHA256(tiny.vmdk)= ' || fail "a new manifest is SHA-256"

# A directory target named X.ovf renames the descriptor and the manifest.
expect_rc 0 "$OVFKIT" convert "$T/a.ova" "$T/named/app.ovf"
[[ -f $T/named/app.ovf && -f $T/named/app.mf && ! -e $T/named/tiny.ovf ]] || fail "X.ovf target: $(ls "$T/named")"
expect_rc 0 "$OVFKIT" verify "$T/named/app.ovf"

# Refusals leave nothing behind.
cp -r "$T/pkg" "$T/bad"
python3 - "$T/bad/tiny.vmdk" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
PY
expect_rc 4 "$OVFKIT" pack "$T/bad" "$T/bad.ova"
grep -q "tiny.vmdk" "$T/err" || fail "mismatch message: $(cat "$T/err")"
[[ ! -e $T/bad.ova ]] || fail "a refused pack left an OVA"
expect_rc 4 "$OVFKIT" convert "$T/bad" "$T/bad.ova" --disk-format qcow2
[[ ! -e $T/bad.ova ]] || fail "a refused conversion left an OVA"
expect_rc 4 "$OVFKIT" unpack "$T/a.ova" "$T/d"
grep -q "already exists" "$T/err" || fail "existing target: $(cat "$T/err")"
expect_rc 0 "$OVFKIT" unpack --force "$T/a.ova" "$T/d"
mkdir "$T/missing" && cp "$T/pkg/tiny.ovf" "$T/missing/"
expect_rc 1 "$OVFKIT" pack "$T/missing" "$T/missing.ova"
grep -q "references tiny.vmdk" "$T/err" || fail "missing file: $(cat "$T/err")"
[[ ! -e $T/missing.ova ]] || fail "missing file left an OVA"
expect_rc 1 "$OVFKIT" unpack "$T/missing" "$T/new-dir"
[[ ! -e $T/new-dir ]] || fail "a failed unpack left the directory it created"
expect_rc 2 "$OVFKIT" convert "$T/a.ova" "$T/flat.ova" --disk-format vmdk-flat

# A member the descriptor does not reference is reported and not carried.
(cd "$T/pkg" && cp tiny.vmdk extra.bin && tar cf "$T/extra.ova" tiny.ovf tiny.mf tiny.vmdk extra.bin)
expect_rc 0 "$OVFKIT" unpack "$T/extra.ova" "$T/e"
grep -q "PKG-UNREFERENCED" "$T/err" || fail "unreferenced: $(cat "$T/err")"
[[ ! -e $T/e/extra.bin ]] || fail "an unreferenced member was extracted"
echo ok
