#!/usr/bin/env bash
# Every descriptor of the shared corpus, packaged with stand-in files for
# what it references (ovfkit only copies them): pack -> unpack -> pack gives
# a byte-identical OVA whose members come in DSP0243's order (descriptor,
# manifest, then References order) and that verifies; a descriptor that
# cannot be packaged (an href that is not a package file name, a reader
# refusal) fails with one error line and exit 1, 2 or 4, never anything else,
# and leaves nothing.
. "$(dirname "$0")/../lib.sh"
need python3
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"
python3 - "$OVFKIT" "$corpus/ovf" "$T" <<'PY'
import os, random, re, shutil, subprocess, sys, tarfile
import xml.etree.ElementTree as ET
ovfkit, root, tmp = sys.argv[1:4]
rng = random.Random(7)
packed = refused = 0
problems = []
def run(*args):
    return subprocess.run([ovfkit, *args], capture_output=True, text=True)
for dirpath, _, names in sorted(os.walk(root)):
    for name in sorted(names):
        if not name.endswith(".ovf"):
            continue
        src = os.path.join(dirpath, name)
        label = os.path.relpath(src, root)
        work = os.path.join(tmp, "rt")
        shutil.rmtree(work, ignore_errors=True)
        pkg = os.path.join(work, "pkg")
        os.makedirs(pkg)
        shutil.copy(src, os.path.join(pkg, name))
        hrefs = []
        try:
            for el in ET.parse(src).getroot().iter():
                if el.tag.split("}")[-1] == "File":
                    for k, v in el.attrib.items():
                        if k.split("}")[-1] == "href":
                            hrefs.append(v)
        except ET.ParseError:
            pass
        for h in hrefs:
            if re.fullmatch(r"[A-Za-z0-9._-]+", h) and h != name and not h.startswith("."):
                with open(os.path.join(pkg, h), "wb") as f:
                    f.write(rng.randbytes(rng.randrange(1, 3000)))
        a, d, b = (os.path.join(work, x) for x in ("a.ova", "d", "b.ova"))
        r = run("pack", "-q", "--mtime", "1700000000", pkg, a)
        if r.returncode != 0:
            lines = [l for l in r.stderr.splitlines() if l.startswith("ovfkit: error:")]
            if r.returncode not in (1, 2, 4) or len(lines) != 1 or os.path.exists(a):
                problems.append(f"{label}: pack exit {r.returncode}: {r.stderr.strip()!r}")
            refused += 1
            continue
        members = [m.name for m in tarfile.open(a).getmembers()]
        want = [name, name[:-4] + ".mf"] + [m for m in members[2:]]
        refs = [h for h in hrefs if h in members]
        if members[:2] != want[:2] or [m for m in members[2:] if m in refs] != refs:
            problems.append(f"{label}: member order {members} (References {hrefs})")
        for step in (("unpack", "-q", a, d), ("pack", "-q", d, b)):
            r = run(*step)
            if r.returncode != 0:
                problems.append(f"{label}: {step[0]} exit {r.returncode}: {r.stderr.strip()}")
                break
        else:
            if open(a, "rb").read() != open(b, "rb").read():
                problems.append(f"{label}: pack -> unpack -> pack is not byte-identical")
            r = run("verify", b)
            if r.returncode != 0:
                problems.append(f"{label}: the OVA does not verify: {r.stdout.strip()[-300:]}")
        packed += 1
print(f"{packed} packed and round-tripped, {refused} refused")
if problems:
    print("\n".join(problems))
    sys.exit(1)
assert packed >= 40, "the corpus should mostly pack"
PY
