#!/usr/bin/python3
"""compare_pages.py [options] DUMP RAW: every page DUMP holds equals RAW's.

DUMP is a dump file libkdumpfile reads (kdump-compressed, ELF, ...); RAW is
the raw vmcore (an ELF copy of /proc/vmcore) it was made from. For every pfn
DUMP's page map says is present, the page is read from both (physical
addresses, through libkdumpfile) and compared byte for byte. Pages DUMP stores
as zero pages read back as zeros, so they compare equal only if RAW's page is
zero too.

Prints "pages N, mismatches M, missing-in-raw K" and, with mismatches, the
first --show of them (pfn, first differing byte offset); exits 1 if there is
any mismatch or page missing in RAW, 2 on usage or open errors. --list prints
the dumped pfns as inclusive hex ranges ("0x100-0x11f") and exits.

Needs Debian's python3-libkdumpfile, which imports only under
/usr/bin/python3 (hence the shebang: do not run it with another python3).
"""
import argparse
import sys

try:
    import kdumpfile
    from kdumpfile.exceptions import KDumpBaseException, NoDataException
except ImportError as e:  # pragma: no cover
    print(f"compare_pages: cannot import kdumpfile ({e}): apt-get install python3-libkdumpfile, "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(2)

PHYS = kdumpfile.KDUMP_MACHPHYSADDR
CHUNK = 512  # pages per read


def present_ranges(k):
    """[start, end) pfn ranges of the page map of k."""
    pm = k.attr["file.pagemap"]
    limit = k.attr["max_pfn"]
    out = []
    pfn = 0
    while pfn < limit:
        try:
            start = pm.find_set(pfn)
        except NoDataException:
            break
        if start >= limit:
            break
        try:
            end = min(pm.find_clear(start), limit)
        except NoDataException:
            end = limit
        out.append((start, end))
        pfn = end
    return out


def read_pages(k, pfn, n, page_size):
    """The n pages from pfn as a list of bytes, None for a page k lacks."""
    try:
        data = k.read(PHYS, pfn * page_size, n * page_size)
        return [data[i * page_size:(i + 1) * page_size] for i in range(n)]
    except KDumpBaseException:
        if n == 1:
            return [None]
    pages = []
    for i in range(n):
        try:
            pages.append(k.read(PHYS, (pfn + i) * page_size, page_size))
        except KDumpBaseException:
            pages.append(None)
    return pages


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("dump")
    ap.add_argument("raw", nargs="?")
    ap.add_argument("--list", action="store_true", help="print DUMP's present pfns as ranges and exit")
    ap.add_argument("--show", type=int, default=10, help="mismatches to print (default 10)")
    a = ap.parse_args()
    try:
        dump = kdumpfile.kdumpfile(a.dump)
    except (OSError, KDumpBaseException) as e:
        print(f"compare_pages: cannot open {a.dump}: {e}", file=sys.stderr)
        return 2
    ranges = present_ranges(dump)
    if a.list:
        sys.stdout.write("".join(f"0x{s:x}-0x{e - 1:x}\n" for s, e in ranges))
        return 0
    if not a.raw:
        ap.error("RAW is required unless --list")
    try:
        raw = kdumpfile.kdumpfile(a.raw)
    except (OSError, KDumpBaseException) as e:
        print(f"compare_pages: cannot open {a.raw}: {e}", file=sys.stderr)
        return 2
    page_size = dump.attr["arch.page_size"]
    if raw.attr["arch.page_size"] != page_size:
        print("compare_pages: the two files have different page sizes", file=sys.stderr)
        return 1

    pages = mismatches = missing = unreadable = 0
    shown = []
    for start, end in ranges:
        for pfn in range(start, end, CHUNK):
            n = min(CHUNK, end - pfn)
            ours = read_pages(dump, pfn, n, page_size)
            theirs = read_pages(raw, pfn, n, page_size)
            for i in range(n):
                pages += 1
                a_page, b_page = ours[i], theirs[i]
                if a_page is None:
                    unreadable += 1
                    problem = "listed as present but unreadable in DUMP"
                elif b_page is None:
                    missing += 1
                    problem = "not in RAW"
                elif a_page != b_page:
                    mismatches += 1
                    off = next(j for j in range(page_size) if a_page[j] != b_page[j])
                    problem = (f"differs from byte {off}: dump {a_page[off:off + 8].hex()} "
                               f"raw {b_page[off:off + 8].hex()}")
                else:
                    continue
                if len(shown) < a.show:
                    shown.append(f"  pfn 0x{pfn + i:x}: {problem}")
    print(f"pages {pages}, mismatches {mismatches}, missing-in-raw {missing}, unreadable {unreadable}")
    for line in shown:
        print(line)
    return 1 if mismatches or missing or unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
