#!/usr/bin/env python3
"""bench/make-source-disk.py PATH: the benchmarks' source disk, a raw image of
8 GiB virtual with about 2 GiB of data, in runs of zeros that are stored (a
converter must detect them), text-like compressible data and random data,
with unallocated holes between. The same seed always gives the same layout."""
import os
import random
import sys

path = sys.argv[1]
MiB = 1 << 20
rng = random.Random(1234)
words = open("/usr/share/common-licenses/GPL-3", "rb").read()
with open(path, "wb") as f:
    f.truncate(8 << 30)
    offset = 0
    written = 0
    while written < (2 << 30):
        offset += rng.choice([0, 0, 1, 4, 16]) * MiB  # a hole
        run = rng.choice([1, 2, 4, 8]) * MiB
        kind = rng.choice(["zero", "text", "text", "random"])
        if kind == "zero":
            data = bytes(run)
        elif kind == "text":
            start = rng.randrange(0, len(words) - 4096)
            chunk = words[start:start + 4096]
            data = (chunk * (run // len(chunk) + 1))[:run]
        else:
            data = os.urandom(run)
        f.seek(offset)
        f.write(data)
        offset += run
        written += run
