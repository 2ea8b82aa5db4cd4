#!/usr/bin/env bash
# Hostile OVAs (SECURITY.md R6-R8, R20): members escaping the package, links,
# devices, duplicates, case and NFC/NFD collisions, oversized extended
# headers, and manifest gaps and tricks. info, validate and verify each
# refuse them (exit 4, or 1 for what is merely invalid), on a file and on a
# pipe; unpack and convert refuse them with nothing left behind; and nothing
# is written anywhere.
. "$(dirname "$0")/../lib.sh"
need python3
tiny=$OVFKIT_SOURCE_DIR/examples/tiny
mkdir "$T/h" "$T/w"
python3 - "$tiny" "$T/h" <<'PY'
import hashlib, io, os, sys, tarfile
tiny, out = sys.argv[1], sys.argv[2]
ovf = open(os.path.join(tiny, "tiny.ovf"), "rb").read()
vmdk = open(os.path.join(tiny, "tiny.vmdk"), "rb").read()

def mf(files, alg="SHA256"):
    return "".join(f"{alg}({n})= {hashlib.new(alg.lower(), d).hexdigest()}\n"
                   for n, d in files).encode()

def reg(name, data, fmt=tarfile.USTAR_FORMAT):
    ti = tarfile.TarInfo(name); ti.size = len(data); return ti, data

def write(name, entries, fmt=tarfile.USTAR_FORMAT):
    with tarfile.open(os.path.join(out, name), "w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)

good_mf = mf([("tiny.ovf", ovf), ("tiny.vmdk", vmdk)])
base = [reg("tiny.ovf", ovf), reg("tiny.mf", good_mf), reg("tiny.vmdk", vmdk)]

def link(name, target, kind):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; return ti, None
def dev(name, kind):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.devmajor = 1; ti.devminor = 3; return ti, None

# refused: exit 4
write("4-dotdot.ova", base + [reg("../escape.vmdk", b"x")])
write("4-absolute.ova", base + [reg("/tmp/ovfkit-escape", b"x")])
write("4-subdir.ova", base + [reg("sub/disk.vmdk", b"x")])
write("4-symlink.ova", base[:2] + [link("tiny.vmdk", "/etc/passwd", tarfile.SYMTYPE)])
write("4-hardlink.ova", base + [link("extra.vmdk", "tiny.vmdk", tarfile.LNKTYPE)])
write("4-chardev.ova", base + [dev("null.img", tarfile.CHRTYPE)])
write("4-blockdev.ova", base + [dev("sda.img", tarfile.BLKTYPE)])
write("4-fifo.ova", base + [dev("fifo.img", tarfile.FIFOTYPE)])
write("4-duplicate.ova", base + [reg("tiny.vmdk", b"evil")])
write("4-case.ova", base + [reg("TINY.vmdk", b"evil")])
write("4-nfd.ova", base + [reg("caf\u00e9.iso", b"a"), reg("cafe\u0301.iso", b"b")],
      fmt=tarfile.PAX_FORMAT)
write("4-two-descriptors.ova", base + [reg("other.ovf", ovf)])
big = tarfile.TarInfo("tiny.vmdk"); big.size = len(vmdk); big.pax_headers = {"comment": "c" * (1 << 20)}
write("4-oversized-pax.ova", base[:2] + [(big, vmdk)], fmt=tarfile.PAX_FORMAT)
write("4-long-gnu-name.ova", base + [reg("n" * 70000, b"x")], fmt=tarfile.GNU_FORMAT)
# manifest tricks: refused by verify (4); validate reports them as errors (1)
write("m-gap.ova", [reg("tiny.ovf", ovf), reg("tiny.mf", mf([("tiny.ovf", ovf)])), reg("tiny.vmdk", vmdk)])
write("m-extra.ova", [reg("tiny.ovf", ovf),
                      reg("tiny.mf", good_mf + mf([("ghost.iso", b"")])), reg("tiny.vmdk", vmdk)])
write("m-traversal.ova", [reg("tiny.ovf", ovf),
                          reg("tiny.mf", good_mf + mf([("../tiny.vmdk", vmdk)])), reg("tiny.vmdk", vmdk)])
write("m-md5.ova", [reg("tiny.ovf", ovf), reg("tiny.mf", mf([("tiny.ovf", ovf), ("tiny.vmdk", vmdk)], "MD5")),
                    reg("tiny.vmdk", vmdk)])
write("m-duplicate-line.ova", [reg("tiny.ovf", ovf),
                               reg("tiny.mf", good_mf + mf([("tiny.vmdk", b"other")])), reg("tiny.vmdk", vmdk)])
write("m-swapped.ova", [reg("tiny.ovf", ovf),
                        reg("tiny.mf", mf([("tiny.ovf", vmdk), ("tiny.vmdk", ovf)])), reg("tiny.vmdk", vmdk)])
# unreferenced member: a warning; an error with --strict
write("s-unreferenced.ova", base + [reg("payload.exe", b"MZ")])
# SHA-1 manifest: a warning; an error with --strict
write("s-sha1.ova", [reg("tiny.ovf", ovf), reg("tiny.mf", mf([("tiny.ovf", ovf), ("tiny.vmdk", vmdk)], "SHA1")),
                     reg("tiny.vmdk", vmdk)])
PY
cd "$T/w"
before=$(cd "$T" && find . -path ./out -prune -o -path ./err -prune -o -print | sort)
for ova in "$T"/h/4-*.ova; do
  n=$(basename "$ova")
  for cmd in info validate verify; do
    expect_rc 4 "$OVFKIT" "$cmd" "$ova"
    grep -q "error" "$T/err" "$T/out" || fail "$n $cmd: no error: $(cat "$T/out" "$T/err")"
  done
  # unpack and convert refuse it too, and leave no directory or OVA.
  expect_rc 4 "$OVFKIT" unpack "$ova" "$T/w/unpacked"
  [[ ! -e $T/w/unpacked ]] || fail "$n: unpack left a directory"
  expect_rc 4 "$OVFKIT" convert "$ova" "$T/w/copy.ova"
  [[ ! -e $T/w/copy.ova ]] || fail "$n: convert left an OVA"
  set +e; cat "$ova" | "$OVFKIT" verify - >"$T/out" 2>"$T/err"; rc=$?; set -e
  [[ $rc == 4 ]] || fail "$n through a pipe: exit $rc: $(cat "$T/err")"
done
grep -q "after case folding and Unicode normalisation" <("$OVFKIT" info "$T/h/4-nfd.ova" 2>&1) \
  || fail "nfd: not named as a normalisation collision"
grep -q "links are not allowed" <("$OVFKIT" info "$T/h/4-symlink.ova" 2>&1) || fail "symlink message"
for ova in "$T"/h/m-*.ova; do
  n=$(basename "$ova")
  expect_rc 4 "$OVFKIT" verify "$ova"
  set +e; "$OVFKIT" unpack "$ova" "$T/w/unpacked" >/dev/null 2>&1; rc=$?; set -e
  [[ $rc == 4 ]] || fail "$n: unpack of a package whose manifest does not hold: exit $rc"
  [[ ! -e $T/w/unpacked ]] || fail "$n: unpack left a directory"
  grep -q "NOT verified" "$T/out" || fail "$n verify: $(cat "$T/out")"
  set +e; "$OVFKIT" validate "$ova" >"$T/out" 2>"$T/err"; rc=$?; set -e
  [[ $rc == 1 || $rc == 4 ]] || fail "$n validate: exit $rc: $(cat "$T/out" "$T/err")"
done
expect_rc 0 "$OVFKIT" verify "$T/h/s-unreferenced.ova"
grep -q "payload.exe.*PKG-UNREFERENCED" "$T/out" || fail "unreferenced: $(cat "$T/out")"
expect_rc 4 "$OVFKIT" verify --strict "$T/h/s-unreferenced.ova"
expect_rc 0 "$OVFKIT" info "$T/h/s-unreferenced.ova"
grep -q "payload.exe" "$T/err" || fail "info unreferenced: $(cat "$T/err")"
expect_rc 0 "$OVFKIT" validate "$T/h/s-unreferenced.ova"
expect_rc 1 "$OVFKIT" validate --strict "$T/h/s-unreferenced.ova"
expect_rc 0 "$OVFKIT" verify "$T/h/s-sha1.ova"
expect_rc 4 "$OVFKIT" verify --strict --json "$T/h/s-sha1.ova"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["manifest_ok"] and any(f["code"] == "MF-SHA1" and f["severity"] == "error" for f in d["findings"]), d' "$T/out" \
  || fail "sha1 --strict: $(cat "$T/out")"

after=$(cd "$T" && find . -path ./out -prune -o -path ./err -prune -o -print | sort)
[[ $before == "$after" ]] || fail "files appeared: $(diff <(echo "$before") <(echo "$after"))"
[[ ! -e /tmp/ovfkit-escape && ! -e "$T/escape.vmdk" ]] || fail "a member escaped"

# A directory package whose disk is hard-linked elsewhere is reported.
mkdir "$T/d"
cp "$tiny/tiny.ovf" "$tiny/tiny.mf" "$tiny/tiny.vmdk" "$T/d/"
ln "$T/d/tiny.vmdk" "$T/other-name.vmdk"
expect_rc 0 "$OVFKIT" verify "$T/d"
grep -q "tiny.vmdk has 2 hard links.*PKG-HARDLINK" "$T/out" || fail "hard link: $(cat "$T/out")"
