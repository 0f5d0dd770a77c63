#!/usr/bin/python3
"""Reads a kdump-compressed file with libkdumpfile and compares its pages
with the ELF vmcore it was made from.

usage: libkdumpfile_check.py DUMP VMCORE [STRIDE]
Exit 0 when every checked page that libkdumpfile returns equals the
vmcore's bytes and at least one page was read; prints a summary line.
(Debian's python3-libkdumpfile imports only under /usr/bin/python3.)
"""
import struct
import sys

import kdumpfile


def loads(path):
    with open(path, "rb") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phnum, = struct.unpack_from("<H", ehdr, 56)
        f.seek(phoff)
        out = []
        for _ in range(phnum):
            t, _flags, off, _va, pa, filesz, _memsz, _al = struct.unpack("<IIQQQQQQ", f.read(56))
            if t == 1:
                out.append((pa, off, filesz))
        return out


def main():
    dump, vmcore = sys.argv[1], sys.argv[2]
    stride = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    k = kdumpfile.kdumpfile(dump)
    fmt = k.attr["file.format"]
    ps = 4096
    checked = excluded = bad = 0
    with open(vmcore, "rb") as v:
        for pa, off, filesz in loads(vmcore):
            first = (pa + ps - 1) // ps
            last = (pa + filesz) // ps
            for pfn in range(first, last, stride):
                try:
                    got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * ps, ps)
                except Exception:  # excluded page (kdumpfile.NoDataError)
                    excluded += 1
                    continue
                v.seek(off + pfn * ps - pa)
                if got != v.read(ps):
                    bad += 1
                    if bad < 5:
                        print("mismatch at pfn 0x%x" % pfn)
                checked += 1
    print("format %s: %d pages equal, %d excluded, %d different" % (fmt, checked - bad, excluded, bad))
    return 0 if bad == 0 and checked > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
