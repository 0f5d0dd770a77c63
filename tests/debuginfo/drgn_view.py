"""drgn_view.py DUMP VMLINUX: what drgn sees in a kernel dump, as plain text.

Run with /usr/bin/python3 (Debian's python3-drgn). Opens DUMP (an ELF vmcore
or a kdump-compressed file; drgn reads the latter through libkdumpfile) with
the debug vmlinux and prints, one item a line:

    release 6.1.0-56-amd64
    task PID COMM          for every task (drgn.helpers.linux.pid.for_each_task), by pid
    tasks N
    crashed TID COMM       prog.crashed_thread()
    frame NAME             its stack trace, innermost first (NAME is the
                           function, else the ELF symbol, else the pc in hex)
and, on stderr, the stack trace as drgn formats it. Exits 1 with drgn's
message when the dump cannot be opened or read.
"""

import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    dump, vmlinux = sys.argv[1:]
    import drgn

    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
        prog.load_debug_info([vmlinux])
    except Exception as e:  # drgn raises ValueError, OSError, drgn.MissingDebugInfoError
        print(f"drgn cannot open {dump}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    try:
        return show(prog)
    except drgn.FaultError as e:  # a page the dump lacks or cannot decompress
        print(f"drgn cannot read {dump}: FaultError: {e}", file=sys.stderr)
        return 1


def show(prog) -> int:
    from drgn.helpers.linux.pid import for_each_task

    try:
        release = prog["UTS_RELEASE"].string_().decode()
    except (KeyError, LookupError):
        release = prog["init_uts_ns"].name.release.string_().decode()
    print("release", release)
    tasks = sorted(
        (int(t.pid), t.comm.string_().decode(errors="replace")) for t in for_each_task(prog)
    )
    for pid, comm in tasks:
        print("task", pid, comm)
    print("tasks", len(tasks))
    thread = prog.crashed_thread()
    comm = thread.object.comm.string_().decode(errors="replace")
    print("crashed", thread.tid, comm)
    trace = thread.stack_trace()
    for frame in trace:
        name = frame.name
        if not name:  # assembly (entry_SYSCALL_64) has no DWARF function
            try:
                name = frame.symbol().name
            except LookupError:
                name = hex(frame.pc)
        print("frame", name)
    print(trace, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
