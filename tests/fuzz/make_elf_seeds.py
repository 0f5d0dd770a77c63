#!/usr/bin/env python3
"""Writes seed inputs for fuzz_elf_core and fuzz_config into OUT_DIR/<target>/.

ELF seeds are small ELF64 cores laid out like /proc/vmcore: header, program
headers (PT_NOTE + PT_LOADs), notes (NT_PRSTATUS, VMCOREINFO), some memory.
"""
import os
import struct
import sys


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    out = struct.pack("<III", len(n), len(desc), ntype) + n
    out += b"\0" * (-len(out) % 4)
    out += desc + b"\0" * (-len(desc) % 4)
    return out


def core(vmcoreinfo, loads, cpus=1, pad=32):
    notes = b"".join(note("CORE", 1, b"\1" * 336) for _ in range(cpus))
    notes += note("VMCOREINFO", 0, vmcoreinfo.encode()) + b"\0" * pad
    phnum = 1 + len(loads)
    notes_at = 64 + 56 * phnum
    data_at = notes_at + len(notes)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 4, 0, notes_at, 0, 0, len(notes), len(notes), 0)
    body = b""
    for phys, size in loads:
        ph += struct.pack("<IIQQQQQQ", 1, 7, data_at + len(body), 0xFFFF888000000000 + phys, phys, size, size, 0)
        body += bytes((i * 7) & 0xFF for i in range(size))
    return ehdr + ph + notes + body


def main():
    out = sys.argv[1]
    info = "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nCRASHTIME=1795696822\nSYMBOL(init_uts_ns)=ffffffff82a15ea0\nKERNELOFFSET=1000000\n"
    elf = {
        "idle": core(info, [(0x1000, 8192), (0x100000, 4096)]),
        "two-cpus": core(info, [(0, 4096)], cpus=2),
        "no-padding": core(info, [(0, 4096)], pad=0),
        "empty-info": core("", [(0, 4096)]),
    }
    configs = {
        "good": "target = disk:LABEL=kdumpdata:/crash\nfinal_action = poweroff\nextra_modules = a, b\n",
        "fallbacks": "# c\ntarget = disk:UUID=0d5c1e8a-1111-4222-8333-444455556666\ntarget = disk:/dev/vdb:/x\ndevice_timeout = 5\n",
        "overrides": "kdumpkit.final_action=halt kdumpkit.target=disk:LABEL=b -- single",
        "record": "host = h\nkernel_release = 6.1\nmodule = kernel/fs/ext4/ext4.ko\n",
        "network": "target = nfs://srv/export/crash vers=4.1 options=timeo=600\n"
        "target = https://dumps.example:8443/up ca=/etc/ca.pem token_file=/root/t proxy=http://p:3128\n"
        "target = s3://bucket/prefix endpoint=http://127.0.0.1:7480 region=us-east-1 "
        "credentials_file=/root/s3 part_size=5\nnet_interface = eth0\nretries = 3\n",
        "raw": "target = raw:/dev/vdc\ndump_format = kdump\ndump_level = 17\ncompression = lzo\n"
        "deadline = 600\nkeep = 3\nmin_free = 64\nnr_cpus = 2\ncapture_args = quiet\n",
        "network-overrides": "BOOT_IMAGE=/vmlinuz kdumpkit.target=nfs://h/e kdumpkit.target=s3 "
        "kdumpkit.dump_level=1 kdumpkit.deadline=x",
    }
    for target, seeds in (("fuzz_elf_core", elf), ("fuzz_config", configs)):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())


if __name__ == "__main__":
    main()
