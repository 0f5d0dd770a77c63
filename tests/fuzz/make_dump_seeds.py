#!/usr/bin/env python3
"""Writes seed inputs for fuzz_kdump_reader and fuzz_flattened into OUT_DIR/<target>/.

kdump seeds are small kdump-compressed files (makedumpfile's format, header
version 6) with 512-byte blocks: header, sub header with a note blob and
VMCOREINFO, both bitmaps, page descriptors, pages stored raw and with zlib.
Flattened seeds are makedumpfile -F streams: a 4096-byte header, big-endian
{offset, size} records, the {-1, -1} end marker.
"""
import os
import struct
import sys
import zlib

BLOCK = 512


def kdump(max_mapnr, dumped, compress=False, version=6, info=b"OSRELEASE=6.1.0\nPAGESIZE=512\n"):
    note = struct.pack("<III", 11, len(info), 0) + b"VMCOREINFO\0" + b"\0" + info
    note += b"\0" * (-len(note) % 4)
    sub_blocks = (104 + len(note) + BLOCK - 1) // BLOCK
    bitmap_bytes = ((max_mapnr + 7) // 8 + BLOCK - 1) // BLOCK * BLOCK
    ram = bytearray(bitmap_bytes)
    dump = bytearray(bitmap_bytes)
    for pfn in range(max_mapnr):
        ram[pfn // 8] |= 1 << (pfn % 8)
    for pfn in dumped:
        dump[pfn // 8] |= 1 << (pfn % 8)
    header = bytearray(b"KDUMP   " + struct.pack("<i", version))
    header += b"Linux".ljust(65, b"\0") + b"host".ljust(65, b"\0") + b"6.1.0".ljust(65, b"\0")
    header += b"#1".ljust(65, b"\0") + b"x86_64".ljust(65, b"\0") + b"".ljust(65, b"\0")
    header += b"\0" * (408 - len(header))
    header += struct.pack("<qqIiiIIIIIIi", 1700000000, 0, 0, BLOCK, sub_blocks, 2 * bitmap_bytes // BLOCK,
                          max_mapnr, 0, 0, 0, 0, 1)
    header = bytes(header).ljust(BLOCK, b"\0")
    note_at = BLOCK + 104  # the sub header is block 1; the notes follow it
    sub = struct.pack("<QiiQQqQqQqQQQQ", 0, 31, 0, 0, 0, note_at + 24, len(info), note_at, len(note), 0, 0,
                      0, 0, max_mapnr)
    sub = (sub + note).ljust(sub_blocks * BLOCK, b"\0")
    desc_at = (1 + sub_blocks) * BLOCK + 2 * bitmap_bytes
    data_at = desc_at + 24 * len(dumped)
    descs, data = b"", b""
    for i, pfn in enumerate(sorted(dumped)):
        page = bytes(((pfn * 31 + j) * (j % 5)) & 0xFF for j in range(BLOCK)) if i % 2 else bytes(BLOCK)
        body, flags = page, 0
        if compress:
            body, flags = zlib.compress(page), 1
        descs += struct.pack("<qIIQ", data_at + len(data), len(body), flags, 0)
        data += body
    return header + sub + bytes(ram) + bytes(dump) + descs + data


def flat(records, end=True):
    out = b"makedumpfile".ljust(16, b"\0") + struct.pack(">qq", 1, 1)
    out = out.ljust(4096, b"\0")
    for offset, body in records:
        out += struct.pack(">qq", offset, len(body)) + body
    if end:
        out += struct.pack(">qq", -1, -1)
    return out


def main():
    out = sys.argv[1]
    kdumps = {
        "raw": kdump(64, [0, 1, 5, 63]),
        "zlib": kdump(64, [2, 3, 4], compress=True),
        "empty": kdump(16, []),
        "v5": kdump(40, [7], version=5),
    }
    flats = {
        "two-records": flat([(0, b"KDUMP   " + b"\1" * 24), (4096, b"page" * 16)]),
        "overlap": flat([(10, b"abc"), (11, b"xyz"), (1 << 20, b"far")]),
        "no-end": flat([(0, b"cut short")], end=False),
        "empty": flat([]),
    }
    for target, seeds in (("fuzz_kdump_reader", kdumps), ("fuzz_flattened", flats)):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
