#!/usr/bin/python3
"""kdump_pfns.py [options] FILE: the pfn sets of a kdump-compressed file.

Reads the headers, both bitmaps and the page descriptors of a
kdump-compressed ("KDUMP   ") file, as makedumpfile writes it without -F or
-E, and prints a set of pfns as inclusive hexadecimal ranges, one per line
("0x1000-0x10ff"; a single pfn is "0x1234-0x1234"), so that shell tests can
diff the sets two writers produced for the same vmcore.

Sets (--set):
  dumped   bitmap2: the pfns that have a page descriptor (default)
  ram      bitmap1: the pfns the file calls memory
  zero     dumped pfns whose descriptor points at the shared zero page
           (makedumpfile -d 1 keeps their bitmap2 bit and points them there)
  data     dumped minus zero
  excluded ram minus dumped

--count prints the number of pfns of the set instead; --stats prints
"key value" lines for every set and the header fields. Standard library only.
Little-endian 64-bit files (x86-64) only; a flattened file (-F) must be
rebuilt with `makedumpfile -R` first.
"""
import argparse
import struct
import sys


class KdumpFile:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(4096)
            if head[:16].startswith(b"makedumpfile"):
                raise ValueError(f"{path}: a flattened file (makedumpfile -F): rebuild it with makedumpfile -R")
            if head[:8] != b"KDUMP   ":
                raise ValueError(f"{path}: not a kdump-compressed file (signature {head[:8]!r})")
            self.header_version = struct.unpack_from("<i", head, 8)[0]
            self.status, self.block_size, self.sub_hdr_size, self.bitmap_blocks, max_mapnr32 = \
                struct.unpack_from("<IiiII", head, 424)
            self.nr_cpus = struct.unpack_from("<i", head, 460)[0]
            bs = self.block_size
            if bs <= 0 or bs & (bs - 1):
                raise ValueError(f"{path}: bad block_size {bs}")
            f.seek(bs)
            sub = f.read(104)
            self.phys_base, self.dump_level = struct.unpack_from("<Qi", sub, 0)
            self.max_mapnr = max_mapnr32
            if self.header_version >= 6:
                self.max_mapnr = struct.unpack_from("<Q", sub, 96)[0]
            half = self.bitmap_blocks // 2 * bs
            if half * 8 < self.max_mapnr:
                raise ValueError(f"{path}: bitmaps of {half} bytes cannot hold {self.max_mapnr} pfns")
            f.seek((1 + self.sub_hdr_size) * bs)
            bitmaps = f.read(2 * half)
            if len(bitmaps) != 2 * half:
                raise ValueError(f"{path}: truncated in the bitmaps")
            self.bitmap1 = bitmaps[:half]
            self.bitmap2 = bitmaps[half:]
            self.desc_offset = (1 + self.sub_hdr_size + self.bitmap_blocks) * bs
            self._descs = None

    @staticmethod
    def _pfns(bitmap, limit):
        out = []
        for i, byte in enumerate(bitmap):
            if not byte:
                continue
            base = i * 8
            if byte == 0xFF:
                out.extend(range(base, base + 8))
            else:
                out.extend(base + b for b in range(8) if byte >> b & 1)
        return [p for p in out if p < limit] if out and out[-1] >= limit else out

    def ram(self):
        return self._pfns(self.bitmap1, self.max_mapnr)

    def dumped(self):
        return self._pfns(self.bitmap2, self.max_mapnr)

    def descriptors(self):
        """(offset, size, flags) of each dumped pfn, in pfn order."""
        if self._descs is None:
            n = len(self.dumped())
            with open(self.path, "rb") as f:
                f.seek(self.desc_offset)
                raw = f.read(24 * n)
            if len(raw) != 24 * n:
                raise ValueError(f"{self.path}: truncated in the page descriptors")
            self._descs = [(o, s, fl) for o, s, fl, _ in struct.iter_unpack("<qIIQ", raw)]
        return self._descs

    def zero(self):
        """Dumped pfns sharing the zero page: makedumpfile writes it first,
        right after the descriptors, and points every zero page at it."""
        dumped = self.dumped()
        if not dumped:
            return []
        data_start = self.desc_offset + 24 * len(dumped)
        descs = self.descriptors()
        hits = [p for p, d in zip(dumped, descs) if d[0] == data_start]
        # Without zero-page exclusion the first dumped page sits there alone.
        return hits if len(hits) > 1 else []


def ranges(pfns):
    out = []
    start = prev = None
    for p in pfns:
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            out.append((start, prev))
            start = prev = p
    if start is not None:
        out.append((start, prev))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("file")
    ap.add_argument("--set", choices=["dumped", "ram", "zero", "data", "excluded"], default="dumped")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--count", action="store_true", help="print the number of pfns only")
    g.add_argument("--stats", action="store_true", help="print header fields and the size of every set")
    a = ap.parse_args()
    try:
        k = KdumpFile(a.file)
        if a.stats:
            ram, dumped, zero = k.ram(), k.dumped(), k.zero()
            for key, val in [("header_version", k.header_version), ("status", k.status),
                             ("block_size", k.block_size), ("dump_level", k.dump_level),
                             ("max_mapnr", k.max_mapnr), ("nr_cpus", k.nr_cpus),
                             ("ram", len(ram)), ("dumped", len(dumped)), ("zero", len(zero)),
                             ("data", len(dumped) - len(zero)),
                             ("excluded", len(set(ram) - set(dumped)))]:
                print(key, val)
            return 0
        if a.set == "ram":
            pfns = k.ram()
        elif a.set == "dumped":
            pfns = k.dumped()
        elif a.set == "zero":
            pfns = k.zero()
        elif a.set == "data":
            z = set(k.zero())
            pfns = [p for p in k.dumped() if p not in z]
        else:
            d = set(k.dumped())
            pfns = [p for p in k.ram() if p not in d]
    except (OSError, ValueError) as e:
        print(f"kdump_pfns: {e}", file=sys.stderr)
        return 1
    if a.count:
        print(len(pfns))
    else:
        sys.stdout.write("".join(f"0x{s:x}-0x{e:x}\n" for s, e in ranges(pfns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
