#!/usr/bin/env python3
"""xva_read.py XVA DIR [sha1|xxhash]: reads an XVA as xapi's importer does
(shared formats/kvm-xen-hyperv.md 5, 6.1) and fails on anything it would
refuse or misplace: ova.xml first; then per VDI, in the string order of
the ids, data members Ref:N/<8 digits>, each followed by its .checksum
(the lower-case SHA-1 of the data) or, when the third argument is xxhash,
its .xxhash (the upper-case XXH64 of the data, %016LX); indices strictly increasing; every
block as long as the first except a short last one; the first and the
last block present; gaps filled with zeros of the first block's length;
exactly virtual_size bytes per VDI; two zero blocks at the end. Writes
each VDI to DIR/<k>.raw (k: the VDI's place in that order) and prints a
JSON summary of ova.xml (VMs, VBDs, VDIs, network names) on stdout."""
import hashlib
import json
import os
import re
import sys
import tarfile
import xml.etree.ElementTree as ET


def die(msg):
    sys.exit("xva_read: " + msg)


def value(v):
    """An XML-RPC <value> as Python data (xapi's reader: bare text is a string)."""
    kids = list(v)
    if not kids:
        return v.text or ""
    k = kids[0]
    if k.tag == "struct":
        return {m.find("name").text: value(m.find("value")) for m in k.findall("member")}
    if k.tag == "array":
        return [value(x) for x in k.find("data").findall("value")]
    if k.tag == "boolean":
        return k.text == "1"
    if k.tag in ("int", "i4", "i8"):
        return int(k.text)
    if k.tag == "double":
        return float(k.text)
    return k.text or ""


xva, out = sys.argv[1], sys.argv[2]
kind = sys.argv[3] if len(sys.argv) > 3 else "sha1"
if kind == "sha1":
    suffix, digest, label = ".checksum", lambda d: hashlib.sha1(d).hexdigest(), "SHA-1"
else:
    import xxhash  # Debian python3-xxhash

    suffix, digest, label = ".xxhash", lambda d: xxhash.xxh64(d).hexdigest().upper(), "XXH64"
with open(xva, "rb") as f:
    f.seek(-1024, 2)
    if f.read() != b"\0" * 1024:
        die("no end-of-archive marker")
tar = tarfile.open(xva, "r:")
members = tar.getmembers()
if not members or members[0].name != "ova.xml":
    die("the first member is not ova.xml")
root = ET.fromstring(tar.extractfile(members[0]).read())
top = value(root)
if top["version"]["export_vsn"] not in ("2", 2):
    die("export_vsn is not 2")
objects = {o["id"]: o for o in top["objects"]}
by_class = {}
for o in objects.values():
    by_class.setdefault(o["class"], []).append(o)
vdis = sorted(by_class.get("VDI", []), key=lambda o: o["id"])
order = {o["id"]: k for k, o in enumerate(vdis)}
for o in by_class.get("VBD", []):
    s = o["snapshot"]
    if s["VM"] not in objects or (s["VDI"] != "OpaqueRef:NULL" and s["VDI"] not in order):
        die("VBD %s refers to nothing" % o["id"])

name_re = re.compile(r"^(Ref:\d+)/(\d{8})(\.checksum|\.xxhash)?$")
streams = {}  # VDI id -> state
seen_dirs = []
i = 1
while i < len(members):
    m = members[i]
    if not m.isfile():
        die("%s is not a regular file" % m.name)
    g = name_re.match(m.name)
    if not g or g.group(3):
        die("unexpected member %s" % m.name)
    vdi, index = g.group(1), int(g.group(2))
    if vdi not in order:
        die("%s: no such VDI in ova.xml" % m.name)
    if not seen_dirs or seen_dirs[-1] != vdi:
        if vdi in seen_dirs:
            die("%s: VDI streamed twice" % vdi)
        seen_dirs.append(vdi)
    if i + 1 >= len(members) or members[i + 1].name != m.name + suffix:
        die("%s: no %s member after it" % (m.name, suffix))
    data = tar.extractfile(m).read()
    check = tar.extractfile(members[i + 1]).read().decode()
    if check != digest(data):
        die("%s: checksum %s is not its %s" % (m.name, check, label))
    st = streams.setdefault(vdi, {"prev": -1, "first": None, "offset": 0, "blocks": []})
    if index <= st["prev"]:
        die("%s: index not increasing" % m.name)
    if len(data) > 1048576:
        die("%s: longer than 1 MiB" % m.name)
    if st["first"] is None:
        if index != 0:
            die("%s: the first block streamed is not block 0" % vdi)
        st["first"] = len(data)
    st["offset"] += (index - st["prev"] - 1) * st["first"]
    st["blocks"].append((st["offset"], data))
    st["offset"] += len(data)
    st["prev"] = index
    i += 2
if seen_dirs != sorted(seen_dirs) or sorted(seen_dirs) != [o["id"] for o in vdis]:
    die("VDIs streamed as %s, expected %s" % (seen_dirs, [o["id"] for o in vdis]))
os.makedirs(out, exist_ok=True)
for vdi, k in order.items():
    st = streams[vdi]
    size = int(objects[vdi]["snapshot"]["virtual_size"])
    if st["offset"] != size:
        die("%s: blocks end at %d, virtual_size is %d (the last block is missing?)" % (vdi, st["offset"], size))
    for n, (off, data) in enumerate(st["blocks"][:-1]):
        if len(data) != st["first"]:
            die("%s: block at %d is %d bytes, not the first block's %d" % (vdi, off, len(data), st["first"]))
    with open(os.path.join(out, "%d.raw" % k), "wb") as f:
        f.truncate(size)
        for off, data in st["blocks"]:
            f.seek(off)
            f.write(data)

summary = {
    "vms": [o["snapshot"] for o in by_class.get("VM", [])],
    "vbds": [dict(o["snapshot"], disk=order.get(o["snapshot"]["VDI"])) for o in by_class.get("VBD", [])],
    "vdis": [{"id": o["id"], "virtual_size": int(o["snapshot"]["virtual_size"])} for o in vdis],
    "networks": [o["snapshot"]["name_label"] for o in by_class.get("network", [])],
    "blocks": {vdi: len(st["blocks"]) for vdi, st in streams.items()},
}
json.dump(summary, sys.stdout, indent=1, default=str)
