#!/usr/bin/env python3
"""ONC RPC NULL call over TCP straight to a port (rpcinfo always asks
rpcbind first, which an NFSv4-only server does not need).
usage: rpc_null.py HOST PORT PROGRAM VERSION  -> exit 0 when accepted."""
import socket
import struct
import sys

host, port, prog, vers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
xid = 0x6b646b31
# call: xid, CALL, rpcvers 2, program, version, procedure 0, AUTH_NONE cred and verifier
body = struct.pack('>IIIIIIIIII', xid, 0, 2, prog, vers, 0, 0, 0, 0, 0)
with socket.create_connection((host, port), timeout=10) as s:
    s.sendall(struct.pack('>I', 0x80000000 | len(body)) + body)
    data = b''
    while len(data) < 4 or len(data) < 4 + (struct.unpack('>I', data[:4])[0] & 0x7fffffff):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
reply = data[4:]
if len(reply) < 24:
    sys.exit('short reply: %r' % reply)
rxid, mtype, stat, _flavor, vlen = struct.unpack('>IIIII', reply[:20])
accept = struct.unpack('>I', reply[20 + vlen:24 + vlen])[0]
if rxid != xid or mtype != 1 or stat != 0 or accept != 0:
    sys.exit('RPC NULL of program %d v%d refused: reply %d, accept %d' % (prog, vers, stat, accept))
print('%s:%d program %d version %d answered' % (host, port, prog, vers))
