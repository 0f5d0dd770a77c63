#!/usr/bin/env python3
"""check-includes.py [ROOT]: the dependency rules of docs/architecture.md,
read from the #include lines of the product's sources.

1. Each part includes only the parts below it:
     util      <- nothing
     config    <- util
     engine    <- util (never agent/, loader/, targets/, cli/, config/)
     targets   <- util, config
     initramfs <- util, config
     purgatory <- nothing of ours (freestanding)
     loader    <- util, config, engine, targets, initramfs, purgatory
     agent     <- util, config, engine, targets, initramfs
     cli       <- all of the above
2. Inside engine/, folders include only their own layer or the ones below:
     format < compress < vmcore < kernel < arch < classify < dmesg < dump
   (classify and dmesg do not include each other).
3. No include cycles between files.

Prints every violation with the file and line; exit status 1 if any.
"""
import os
import re
import sys

PARTS = {
    "util": set(),
    "config": {"util"},
    "engine": {"util"},
    "targets": {"util", "config"},
    "initramfs": {"util", "config"},
    "purgatory": set(),
    "loader": {"util", "config", "engine", "targets", "initramfs", "purgatory"},
    "agent": {"util", "config", "engine", "targets", "initramfs"},
    "cli": {"util", "config", "engine", "targets", "initramfs", "purgatory", "loader", "agent"},
}
ENGINE_LAYERS = ["format", "compress", "vmcore", "kernel", "arch", "classify", "dmesg", "dump"]
# Layers that sit side by side: neither may include the other.
ENGINE_SIBLINGS = {frozenset({"classify", "dmesg"})}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def part_of(path):
    return path.split("/", 1)[0]


def engine_layer(path):
    bits = path.split("/")
    return bits[1] if len(bits) > 2 and bits[0] == "engine" else None


def sources(root):
    for part in PARTS:
        top = os.path.join(root, part)
        for dirpath, _, names in os.walk(top):
            for name in names:
                if name.endswith((".h", ".cc", ".c", ".S")):
                    full = os.path.join(dirpath, name)
                    yield os.path.relpath(full, root)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    problems = []
    graph = {}
    files = sorted(sources(root))
    for rel in files:
        graph[rel] = []
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                if not os.path.exists(os.path.join(root, target)):
                    continue  # generated (util/version.h) or third-party
                graph[rel].append(target)
                src, dst = part_of(rel), part_of(target)
                where = f"{rel}:{lineno}: includes {target}"
                if dst not in PARTS:
                    problems.append(f"{where}: not a product part")
                    continue
                if src != dst and dst not in PARTS[src]:
                    problems.append(f"{where}: {src}/ may not depend on {dst}/")
                ls, ld = engine_layer(rel), engine_layer(target)
                if src == "engine" and dst == "engine" and ls and ld and ls != ld:
                    if frozenset({ls, ld}) in ENGINE_SIBLINGS:
                        problems.append(f"{where}: engine/{ls} and engine/{ld} are siblings")
                    elif ENGINE_LAYERS.index(ld) > ENGINE_LAYERS.index(ls):
                        problems.append(f"{where}: engine/{ls} may not include engine/{ld} (a higher layer)")
    # File-level cycles (depth-first search, iterative).
    state = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                problems.append("include cycle: " + " -> ".join(cycle))
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)
    for p in problems:
        print(p)
    print(f"check-includes: {len(files)} files, {sum(len(v) for v in graph.values())} includes, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
