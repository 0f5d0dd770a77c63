#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_dhcp into DIR/fuzz_dhcp/: the recorded
DHCP packets of tests/agent/net/*.inc (real dnsmasq and QEMU exchanges), whole
and as bare DHCP payloads, so the fuzzer starts from valid messages."""
import glob
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(sys.argv[1], 'fuzz_dhcp')
os.makedirs(out, exist_ok=True)
for inc in sorted(glob.glob(os.path.join(here, '..', 'net', '*.inc'))):
    text = open(inc).read()
    for name, body in re.findall(r'uint8_t (k\w+)\[\] = \{([^}]*)\}', text):
        packet = bytes(int(x, 16) for x in re.findall(r'0x([0-9a-f]{2})', body))
        ihl = (packet[0] & 15) * 4
        open(os.path.join(out, name), 'wb').write(packet)
        open(os.path.join(out, name + '-payload'), 'wb').write(packet[ihl + 8:])
