#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_printk into DIR/fuzz_printk/: small,
well-formed rings in both formats (see fuzz_printk.cc for the input layout),
so that the fuzzer starts from inputs that reach the record walkers."""
import os
import struct
import sys

BASE = 0xffffffff81000000


def prb_seed(records, count_bits=4, size_bits=10, wrap_ids=False):
    ring, descs, infos, data = 0x100, 0x1000, 0x2000, 0x4000
    mem = bytearray(data + (1 << size_bits))
    struct.pack_into("<Q", mem, 0, BASE + ring)
    first = (1 << 62) - 2 if wrap_ids else 0
    mask = (1 << 62) - 1
    lpos, ids = 0, []
    for i, (ts, text) in enumerate(records):
        rid = (first + i) & mask
        blk = (8 + len(text) + 7) & ~7
        begin, nxt = lpos, lpos + blk
        store = begin % (1 << size_bits)
        if begin >> size_bits != nxt >> size_bits:
            nxt = (nxt >> size_bits << size_bits) + blk
            store = 0
        struct.pack_into("<Q", mem, data + store, rid)
        mem[data + store + 8:data + store + 8 + len(text)] = text
        slot = rid % (1 << count_bits)
        struct.pack_into("<QQQ", mem, descs + slot * 24, (2 << 62) | rid, begin, nxt)
        struct.pack_into("<QQHxxI", mem, infos + slot * 88, i, ts, len(text), 1)
        lpos = nxt
        ids.append(rid)
    head = ids[-1]
    tail = ids[max(0, len(ids) - (1 << count_bits))]
    struct.pack_into("<IxxxxQQQQ", mem, ring, count_bits, BASE + descs, BASE + infos, head, tail)
    struct.pack_into("<IxxxxQ", mem, ring + 48, size_bits, BASE + data)
    return bytes(mem)


def log_buf_seed(records, buf_len=512):
    buf = 0x100
    mem = bytearray(buf + buf_len)
    nxt = 0
    for ts, text in records:
        size = (16 + len(text) + 7) & ~7
        if nxt + size + 16 > buf_len:
            nxt = 0
        struct.pack_into("<QHHHxx", mem, buf + nxt, ts, size, len(text), 0)
        mem[buf + nxt + 16:buf + nxt + 16 + len(text)] = text
        nxt += size
    struct.pack_into("<QIxxxxIxxxxI", mem, 0, BASE + buf, buf_len, 0, nxt)
    return bytes(mem)


RECORDS = [(0, b"Linux version 6.1.0"), (1500000, b"two\nlines"), (2000000, b"bytes \x01\xc3\xa9"),
           (5067883000, b"sysrq: Trigger a crash"),
           (5068204000, b"Kernel panic - not syncing: sysrq triggered crash")]


def main():
    out = os.path.join(sys.argv[1], "fuzz_printk")
    os.makedirs(out, exist_ok=True)
    seeds = {
        "prb": b"\x00" + prb_seed(RECORDS),
        "prb-caller": b"\x04" + prb_seed(RECORDS),
        "prb-wrap": b"\x00" + prb_seed(RECORDS * 4, count_bits=2, size_bits=7, wrap_ids=True),
        "logbuf": b"\x01" + log_buf_seed(RECORDS),
        "logbuf-wrap": b"\x01" + log_buf_seed(RECORDS * 4, buf_len=256),
    }
    for name, blob in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
