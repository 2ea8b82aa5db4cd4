#!/usr/bin/env bash
# Every descriptor of the shared corpus (every producer), with stand-in
# disks (empty VMDKs of the subformat its Disk names) for the files it
# references, exports to libvirt or fails with one error line and exit
# 1, 2 or 4; every domain written is accepted by virt-xml-validate and names
# files that exist.
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
need virt-xml-validate
need xmllint
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"
python3 - "$OVFKIT" "$corpus/ovf" "$T" <<'PY'
import os, re, shutil, subprocess, sys
import xml.etree.ElementTree as ET
ovfkit, root, tmp = sys.argv[1:4]
exported = refused = domains = 0
problems = []
def local(tag):
    return tag.split("}")[-1]
for dirpath, _, names in sorted(os.walk(root)):
    for name in sorted(names):
        if not name.endswith(".ovf"):
            continue
        src = os.path.join(dirpath, name)
        label = os.path.relpath(src, root)
        work = os.path.join(tmp, "w")
        shutil.rmtree(work, ignore_errors=True)
        pkg, out = os.path.join(work, "pkg"), os.path.join(work, "out")
        os.makedirs(pkg)
        shutil.copy(src, os.path.join(pkg, name))
        files, formats, gzipped = {}, {}, set()
        try:
            for el in ET.parse(src).getroot().iter():
                attrs = {local(k): v for k, v in el.attrib.items()}
                if local(el.tag) == "File" and "href" in attrs and "id" in attrs:
                    files[attrs["id"]] = attrs["href"]
                    if attrs.get("compression") == "gzip":
                        gzipped.add(attrs["id"])
                if local(el.tag) == "Disk" and "fileRef" in attrs:
                    formats[attrs["fileRef"]] = attrs.get("format", "")
        except ET.ParseError:
            pass
        for fid, href in files.items():
            if not re.fullmatch(r"[A-Za-z0-9._-]+", href) or href == name:
                continue
            path = os.path.join(pkg, href)
            fmt = formats.get(fid, "")
            if fid in formats:
                if href.lower().endswith(".vhd") or "vhd" in fmt.lower():
                    create = ["-f", "vpc"]
                else:
                    sub = "monolithicSparse" if "sparse" in fmt.lower() else "streamOptimized"
                    create = ["-f", "vmdk", "-o", f"subformat={sub}"]
                subprocess.run(["qemu-img", "create", "-q", *create, path, "1M"], check=True)
                if fid in gzipped:
                    subprocess.run(["gzip", "-n", "-f", path], check=True)
                    os.rename(path + ".gz", path)
            else:
                with open(path, "wb") as f:
                    f.write(b"stand-in\n")
        r = subprocess.run([ovfkit, "convert", os.path.join(pkg, name), out, "--to", "libvirt",
                            "--accept-eula"], capture_output=True, text=True)
        if r.returncode != 0:
            lines = [l for l in r.stderr.splitlines() if l.startswith("ovfkit: error:")]
            if r.returncode not in (1, 2, 4) or len(lines) != 1:
                problems.append(f"{label}: exit {r.returncode}: {r.stderr.strip()!r}")
            print(f"refused: {label}: {r.stderr.strip()}")
            refused += 1
            continue
        exported += 1
        for f in sorted(os.listdir(out)):
            if not f.endswith(".xml"):
                continue
            domains += 1
            x = os.path.join(out, f)
            v = subprocess.run(["virt-xml-validate", x, "domain"], capture_output=True, text=True)
            if v.returncode != 0:
                problems.append(f"{label}: {f}: virt-xml-validate: {v.stderr.strip()} {v.stdout.strip()}")
            for p in ET.parse(x).getroot().iter("source"):
                p = p.attrib.get("file")
                if p is not None and not os.path.isfile(p):
                    problems.append(f"{label}: {f} names {p}, which was not written")
print(f"{exported} exported ({domains} domains validated), {refused} refused")
if problems:
    print("\n".join(problems))
    sys.exit(1)
assert exported >= 40, "the corpus should mostly export"
PY
