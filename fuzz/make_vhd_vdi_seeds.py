#!/usr/bin/env python3
# Writes the VHD and VDI fuzz seeds: small images that reach the deep paths
# (partial sector bitmaps, a differencing header with a W2ru locator, a fixed
# footer, free/zero VDI map entries, a VDI block shorter than 1 MiB at the end
# of a small disk) plus empty images from qemu-img.
#   fuzz/make_vhd_vdi_seeds.py fuzz/corpus
import struct, subprocess, os, sys
out = sys.argv[1]

def vhd_checksum(b, at):
    s = sum(b[:at]) + sum(b[at+4:])
    return (~s) & 0xffffffff

def footer(size, dtype, uid=b'\x11'*16, data_offset=512, creator=b'ovfk'):
    f = bytearray(512)
    f[0:8] = b'conectix'
    struct.pack_into('>IIQI4sI4sQQHBBI', f, 8, 2, 0x10000, data_offset, 0, creator, 0x10000,
                     b'Wi2k', size, size, 65535, 16, 255, dtype)
    f[68:84] = uid
    struct.pack_into('>I', f, 64, vhd_checksum(f, 64))
    return bytes(f)

def dyn(size, bs, blocks, dtype=3, parent=None):
    # blocks: {index: (bitmap bytes, data bytes)}
    entries = -(-size // bs)
    bat_bytes = -(-entries * 4 // 512) * 512
    bitmap = ((bs // 512 + 7) // 8 + 511) // 512 * 512
    data_start = 1536 + bat_bytes
    loc_at = data_start
    if parent:
        data_start += 512
    ft = footer(size, dtype, uid=b'\x22'*16)
    h = bytearray(1024)
    h[0:8] = b'cxsparse'
    struct.pack_into('>QQIII', h, 8, 0xffffffffffffffff, 1536, 0x10000, entries, bs)
    bat = bytearray(b'\xff' * bat_bytes)
    body = bytearray()
    for n, (i, (bm, data)) in enumerate(sorted(blocks.items())):
        at = data_start + n * (bitmap + bs)
        struct.pack_into('>I', bat, 4 * i, at // 512)
        body += bm.ljust(bitmap, b'\0') + data.ljust(bs, b'\0')
    if parent:
        h[40:56] = b'\x11' * 16
        name = parent.encode('utf-16-be')
        h[64:64+len(name)] = name
        loc = ('.\\' + parent).encode('utf-16-le')
        struct.pack_into('>IIIIQ', h, 576, 0x57327275, 512, len(loc), 0, loc_at)
    struct.pack_into('>I', h, 36, vhd_checksum(h, 36))
    img = bytearray(ft) + h + bat
    if parent:
        img += loc.ljust(512, b'\0')
    img += body + ft
    return bytes(img)

pat = bytes((i * 7 + 3) & 0xff for i in range(4096))
os.makedirs(out + '/vhd', exist_ok=True)
os.makedirs(out + '/vdi', exist_ok=True)
open(out + '/vhd/dynamic-4k-partial-bitmap.vhd', 'wb').write(
    dyn(65536, 4096, {0: (b'\xff', pat), 3: (b'\xf0\x0f', pat), 15: (b'\xff', pat)}))
open(out + '/vhd/differencing-w2ru.vhd', 'wb').write(
    dyn(65536, 4096, {1: (b'\x80', pat)}, dtype=4, parent='base.vhd'))
fixed = bytearray(16384)
fixed[0:4096] = pat
open(out + '/vhd/fixed-16k.vhd', 'wb').write(bytes(fixed) + footer(16384, 2, data_offset=0xffffffffffffffff))
subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'vpc', out + '/vhd/qemu-dynamic-64m.vhd', '64M'])

def vdi(size, entries, blocks, data=b''):
    h = bytearray(512)
    h[0:40] = b'<<< Oracle VM VirtualBox Disk Image >>>\n'
    struct.pack_into('<III', h, 64, 0xbeda107f, 0x10001, 400)
    struct.pack_into('<II', h, 76, 1, 0)
    struct.pack_into('<II', h, 340, 512, 1024)
    struct.pack_into('<IIIII', h, 348, 0, 0, 0, 512, 0)
    struct.pack_into('<QIIII', h, 368, size, 1 << 20, 0, len(entries), blocks)
    h[392:408] = b'\x33' * 16
    h[408:424] = b'\x44' * 16
    struct.pack_into('<IIII', h, 456, 0, 0, 0, 512)
    m = bytearray(512)
    for i, e in enumerate(entries):
        struct.pack_into('<I', m, 4 * i, e)
    return bytes(h) + bytes(m) + data

open(out + '/vdi/dynamic-4k-one-block.vdi', 'wb').write(vdi(4096, [0], 1, pat))
open(out + '/vdi/free-and-zero.vdi', 'wb').write(vdi(3 << 20, [0xffffffff, 0xfffffffe, 0xffffffff], 0))
subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'vdi', out + '/vdi/qemu-dynamic-4m.vdi', '4M'])

# VDI differencing chains for vdi_fuzzer: "VDICHAIN", the child's length
# (u32 LE), the child, its parent.
def vdi_diff(size, entries, blocks, data=b'', create=0x55, linkage=0x33, parent_modify=0x44):
    h = bytearray(vdi(size, entries, blocks, data))
    struct.pack_into('<I', h, 76, 4)
    h[392:408] = bytes([create]) * 16
    h[424:440] = bytes([linkage]) * 16
    h[440:456] = bytes([parent_modify]) * 16
    return bytes(h)

def chain(child, parent):
    return b'VDICHAIN' + struct.pack('<I', len(child)) + child + parent

# Small disks: only the last block is partial, so it alone is stored.
base = vdi((1 << 20) + 4096, [0xffffffff, 0], 1, pat)
open(out + '/vdi/chain-overlay.vdi', 'wb').write(
    chain(vdi_diff((2 << 20) + 4096, [0xffffffff, 0xffffffff, 0], 1, pat[::-1]), base))
open(out + '/vdi/chain-discarded.vdi', 'wb').write(
    chain(vdi_diff((1 << 20) + 4096, [0xffffffff, 0xfffffffe], 0), base))
open(out + '/vdi/chain-uuid-mismatch.vdi', 'wb').write(
    chain(vdi_diff((1 << 20) + 4096, [0xffffffff, 0xffffffff], 0, linkage=0x77), base))
open(out + '/vdi/chain-loop.vdi', 'wb').write(
    chain(vdi_diff(4096, [0xffffffff], 0, create=0x33), vdi_diff(4096, [0xffffffff], 0)))
