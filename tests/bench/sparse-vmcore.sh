#!/usr/bin/env bash
# sparse-vmcore.sh [VMCORE] [GIB]: bounded-memory check (opt-in, not in the
# default suite). Builds a synthetic ELF vmcore that describes GIB (default
# 64) GiB more RAM than VMCORE (default: the cached busy fixture): a copy of
# VMCORE whose program header table is rewritten at the end of the file
# with extra PT_LOAD segments above the real memory, each pointing at a
# sparse hole (zero-filled, no disk blocks). Then runs `kdumpkit dump` on it
# at -d 31 and -d 1 (and on VMCORE itself for comparison) and reports wall
# time, peak RSS and output size. The engine's memory must not grow with
# the machine's RAM: peak RSS should stay under 64 MiB and close to the
# 1 GiB fixture's. The kernel's mem_section covers only the real RAM, and
# max_mapnr is lowered to its end (as makedumpfile does), which would drop
# the extra segments; so the copy's VMCOREINFO hides SYMBOL(mem_section):
# the classifier then keeps every page of every PT_LOAD (a warning says
# so), and -d 31 and -d 1 drop the zero pages by content. The fixture row
# is the unmodified 1 GiB vmcore (classified normally) for comparison.
# Environment: KDUMPKIT (default build/kdumpkit), SPARSE_DIR (scratch
# space; default a mktemp -d under /var/tmp, removed at exit), THREADS
# (default: all cores), KEEP=1 keeps the sparse vmcore.
# Needs python3 and /usr/bin/time. The copy costs VMCORE's size on disk.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=${1:-$HOME/.cache/kdumpkit/fixtures/current/busy.vmcore}
gib=${2:-64}
ours=${KDUMPKIT:-$root/build/kdumpkit}
threads=${THREADS:-$(nproc)}
[ -r "$src" ] || { echo "sparse-vmcore: $src not readable" >&2; exit 2; }
[ -x "$ours" ] || { echo "sparse-vmcore: $ours missing (make product)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "sparse-vmcore: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
dir=${SPARSE_DIR:-$(mktemp -d /var/tmp/kdk-sparse.XXXXXX)}
trap '[ -n "${SPARSE_DIR:-}" ] || [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
big=$dir/sparse.vmcore

cp --sparse=always "$src" "$big"
python3 - "$big" "$gib" <<'EOF'
import os, struct, sys
path, gib = sys.argv[1], int(sys.argv[2])
EHDR = '<16sHHIQQQIHHHHHH'   # Elf64_Ehdr
PHDR = '<IIQQQQQQ'           # Elf64_Phdr
PT_LOAD = 1
with open(path, 'r+b') as f:
    eh = list(struct.unpack(EHDR, f.read(struct.calcsize(EHDR))))
    if eh[0][:4] != b'\x7fELF' or eh[0][4] != 2:
        sys.exit('not an ELF64 core')
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    f.seek(phoff)
    phdrs = [list(struct.unpack(PHDR, f.read(phentsize)[:struct.calcsize(PHDR)])) for _ in range(phnum)]
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    top = max(p[4] + p[6] for p in loads)          # highest p_paddr + p_memsz
    seg = 8 << 30                                  # 8 GiB per extra segment
    start = (top + (1 << 30) - 1) >> 30 << 30      # next GiB boundary
    size = os.fstat(f.fileno()).st_size
    table = (size + 4095) & ~4095                  # the new program header table
    n_extra = (gib << 30) // seg
    data = (table + (phnum + n_extra) * phentsize + (1 << 21) - 1) & ~((1 << 21) - 1)
    # A kernel direct-map address for each segment, as /proc/vmcore has
    # them: the virtual-physical offset most RAM segments share.
    deltas = [(p[3] - p[4]) & (2**64 - 1) for p in loads if p[3]]
    direct = max(set(deltas), key=deltas.count) if deltas else 0
    for i in range(n_extra):
        paddr = start + i * seg
        off = data + i * seg
        phdrs.append([PT_LOAD, 7, off, (direct + paddr) & (2**64 - 1) if direct else 0, paddr, seg, seg, 0])
    f.seek(table)
    for p in phdrs:
        f.write(struct.pack(PHDR, *p).ljust(phentsize, b'\0'))
    f.truncate(data + n_extra * seg)               # the holes: no disk blocks
    # makedumpfile (and kdumpkit) lower max_mapnr to the end of the last
    # memory section with a mem_map, which would drop the extra segments
    # (this kernel's mem_section knows only the real RAM). Hide the
    # mem_section symbol (same length, so the notes keep their layout):
    # the classifier then keeps every RAM page of every PT_LOAD, and the
    # writer still drops zero pages at -d 1 and -d 31.
    key, hidden = b'SYMBOL(mem_section)=', b'SYMBOL(mem_sectioX)='
    patched = 0
    for p in phdrs[:phnum]:
        if p[0] != 4:                              # PT_NOTE
            continue
        f.seek(p[2])
        blob = f.read(p[5])
        if key in blob:
            f.seek(p[2] + blob.index(key))
            f.write(hidden)
            patched += 1
    if not patched:
        sys.exit('no SYMBOL(mem_section) in the notes')
    eh[5], eh[10] = table, len(phdrs)
    f.seek(0)
    f.write(struct.pack(EHDR, *eh))
    print(f'sparse vmcore: {len(phdrs)} program headers, {n_extra} extra PT_LOADs of 8 GiB from '
          f'paddr {start:#x}, RAM {(sum(p[5] for p in loads) + n_extra * seg) / 2**30:.1f} GiB')
EOF
echo "file: $(du -h --apparent-size "$big" | cut -f1) apparent, $(du -h "$big" | cut -f1) on disk"

printf '%-8s %-5s | %8s %9s %12s\n' vmcore level "wall s" "peak KiB" "output B"
for level in 31 1; do
  for v in "$src" "$big"; do
    name=$([ "$v" = "$big" ] && echo "+${gib}GiB" || echo "fixture")
    rm -f "$dir/out"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$ours" dump -q -d "$level" -j "$threads" "$v" "$dir/out"
    read -r t rss <"$dir/time"
    printf '%-8s %-5s | %8s %9s %12s\n' "$name" "$level" "$t" "$rss" "$(stat -c %s "$dir/out")"
    rm -f "$dir/out"
  done
done
