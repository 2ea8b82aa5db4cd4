#!/usr/bin/env python3
# Writes the VHDX fuzz seeds from qemu-img images of a 32 KiB pattern:
#   clean-1m.vhdx  qemu-img convert -O vhdx -o block_size=1M,log_size=1M
#   dirty-1m.vhdx  the same with a log GUID in the headers and one valid log
#                  entry rewriting a data sector (reaches the in-memory replay)
#   fuzz/make_vhdx_seeds.py fuzz/corpus
import os, random, struct, subprocess, sys, tempfile

out = os.path.join(sys.argv[1], "vhdx")
os.makedirs(out, exist_ok=True)

def crc32c(data):
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
crc32c.table = None

def with_crc(block, field=4):
    block = bytearray(block)
    block[field:field + 4] = b"\0\0\0\0"
    block[field:field + 4] = struct.pack("<I", crc32c(block))
    return block

random.seed(1)
pattern = bytearray()
for i in range(8):
    if i % 3 == 0:
        pattern += bytes(4096)
    elif i % 4 == 0:
        pattern += bytes(random.getrandbits(8) for _ in range(4096))
    else:
        pattern += b"abcdefgh" * 512

with tempfile.TemporaryDirectory() as tmp:
    raw = os.path.join(tmp, "p.raw")
    with open(raw, "wb") as f:
        f.write(pattern)
    clean = os.path.join(out, "clean-1m.vhdx")
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "vhdx",
                    "-o", "block_size=1M,log_size=1M", raw, clean], check=True)

img = bytearray(open(clean, "rb").read())
H1, H2, R1 = 64 * 1024, 128 * 1024, 192 * 1024
BAT_GUID = bytes.fromhex("6677c22d23f600429d64115e9bfd4a08")
bat = next(struct.unpack_from("<Q", img, R1 + 16 + 32 * i + 16)[0] for i in range(2)
           if img[R1 + 16 + 32 * i:R1 + 32 + 32 * i] == BAT_GUID)
block0 = struct.unpack_from("<Q", img, bat)[0] & ~0xFFFFF
log_offset = struct.unpack_from("<Q", img, H1 + 72)[0]
log_guid = bytes(range(1, 17))
for h in (H1, H2):
    img[h + 48:h + 64] = log_guid
    img[h:h + 4096] = with_crc(img[h:h + 4096])

# One entry: a descriptor sector, then one data sector for guest offset 4096.
seq = 41
sector = bytearray(b"\xa5" * 4096)
entry = bytearray(2 * 4096)
struct.pack_into("<4sIIIQII16sQQ", entry, 0, b"loge", 0, len(entry), 0, seq, 1, 0, log_guid,
                 len(img), len(img))
struct.pack_into("<4s4s8sQQ", entry, 64, b"desc", bytes(sector[4092:4096]), bytes(sector[0:8]),
                 block0 + 4096, seq)
struct.pack_into("<4sI", entry, 4096, b"data", seq >> 32)
entry[4096 + 8:4096 + 4092] = sector[8:4092]
struct.pack_into("<I", entry, 4096 + 4092, seq & 0xFFFFFFFF)
entry = with_crc(entry)
img[log_offset:log_offset + len(entry)] = entry
with open(os.path.join(out, "dirty-1m.vhdx"), "wb") as f:
    f.write(img)
