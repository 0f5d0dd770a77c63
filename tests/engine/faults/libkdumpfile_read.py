#!/usr/bin/python3
"""Opens a dump with libkdumpfile, reads its attributes and some pages.

usage: libkdumpfile_read.py DUMP PAGES_OUT [PFN...]
Writes each listed page's bytes (4096 each, in order) to PAGES_OUT so the
caller can compare them with its own reader. Exit 0 when the file opened,
its format and architecture attributes read, and every listed page read;
prints one summary line (or the failure) on stdout.
(Debian's python3-libkdumpfile imports only under /usr/bin/python3.)
"""
import sys

import kdumpfile

PAGE = 4096


def main():
    dump, out = sys.argv[1], sys.argv[2]
    pfns = [int(a, 0) for a in sys.argv[3:]]
    try:
        k = kdumpfile.kdumpfile(dump)
    except Exception as e:  # noqa: BLE001 - any failure to open is the verdict
        print("open failed: %s" % e)
        return 1
    attrs = {}
    for key in ("file.format", "max_pfn"):
        try:
            attrs[key] = k.attr[key]
        except Exception as e:  # noqa: BLE001
            print("attribute %s unreadable: %s" % (key, e))
            return 1
    # libkdumpfile names the architecture and release only from a complete
    # utsname or a VMCOREINFO: a dump of a kernel whose memory could not be
    # read has neither (physical pages still read).
    for key in ("arch.name", "linux.uts.release"):
        try:
            attrs[key] = k.attr[key]
        except Exception:  # noqa: BLE001
            attrs[key] = None
    with open(out, "wb") as f:
        for pfn in pfns:
            try:
                f.write(k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, PAGE))
            except Exception as e:  # noqa: BLE001
                print("pfn 0x%x unreadable: %s" % (pfn, e))
                return 1
    print("%s %s max_pfn 0x%x release %s: %d pages read" %
          (attrs["file.format"], attrs["arch.name"], attrs["max_pfn"], attrs["linux.uts.release"], len(pfns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
