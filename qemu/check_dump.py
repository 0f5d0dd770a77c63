#!/usr/bin/python3
"""check_dump.py DUMP [TEXT]: reads a kdump-compressed (or ELF) dump with
libkdumpfile -- a reader that is not ours -- and checks that it is readable
and that the crashed kernel's memory in it holds TEXT (default: the sysrq
crash line, which lives in the printk ring's text buffer).

Prints "format, release, pages read, found at pfn" and exits 0, or says
what is wrong and exits 1. Debian's python3-libkdumpfile imports only under
/usr/bin/python3.
"""
import sys

import kdumpfile


def main():
    path = sys.argv[1]
    text = (sys.argv[2] if len(sys.argv) > 2 else "sysrq: Trigger a crash").encode()
    try:
        k = kdumpfile.kdumpfile(path)
        fmt = k.attr["file.format"]
        release = k.attr["linux.uts.release"]
        ps = k.attr["arch.page_size"]
        max_pfn = k.attr["max_pfn"]
    except Exception as e:  # noqa: BLE001 -- any failure to open is the finding
        print("libkdumpfile cannot open %s: %s" % (path, e))
        return 1
    read = 0
    tail = b""
    for pfn in range(max_pfn):
        try:
            page = k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * ps, ps)
        except Exception:  # excluded page or hole
            tail = b""
            continue
        read += 1
        # The text may straddle two physically adjacent pages.
        if text in tail + page:
            print("%s, kernel %s, %d pages read, '%s' found at pfn 0x%x" % (fmt, release, read, text.decode(), pfn))
            return 0
        tail = page[-len(text):]
    print("%s, kernel %s: %d pages read, '%s' not found in the dump" % (fmt, release, read, text.decode()))
    return 1


if __name__ == "__main__":
    sys.exit(main())
