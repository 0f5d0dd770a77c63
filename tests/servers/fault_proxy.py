#!/usr/bin/python3
"""A TCP proxy in front of an HTTP server that injects faults on request.

    fault_proxy.py LISTEN_PORT UPSTREAM_PORT MODE_FILE [raw]

Every client connection carries one request: the proxy adds
"Connection: close" to the request it forwards, so the server closes after
answering and the client opens a new connection for the next request (a
fault then applies to a whole request, not to a reused connection).

MODE_FILE is read when a request head arrives; one line:
    pass                        relay (also when the file is absent or empty)
    500 COUNT [METHOD]          answer 500 to the next COUNT requests
    cut BYTES COUNT [METHOD]    relay, but close both sides once BYTES bytes
                                of the request body have gone through
    stall BYTES COUNT [METHOD]  relay BYTES bytes of the body, then stop
                                reading (a stuck server), holding the
                                connection open for 120 s
METHOD (default PUT) limits the fault to that method; COUNT is decremented
in the file as faults are served, so a test can read what was consumed.

With "raw" the proxy does not look into the bytes (TLS): a fault applies to
each new connection and counts all the bytes the client sends on it; METHOD
is ignored.
"""
import socket
import sys
import threading

from loopback_server import serve_forever
import time

LISTEN_PORT, UPSTREAM_PORT, MODE_FILE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
RAW = len(sys.argv) > 4 and sys.argv[4] == "raw"
lock = threading.Lock()


def take_fault(method):
    """The fault for this request (or None), consuming one from MODE_FILE."""
    with lock:
        try:
            words = open(MODE_FILE).read().split()
        except FileNotFoundError:
            return None
        if not words or words[0] == "pass":
            return None
        if words[0] == "500":
            count, want = int(words[1]), (words[2] if len(words) > 2 else "PUT")
            if count <= 0 or method != want:
                return None
            open(MODE_FILE, "w").write(f"500 {count - 1} {want}\n")
            return ("500",)
        if words[0] in ("cut", "stall"):
            limit, count = int(words[1]), int(words[2])
            want = words[3] if len(words) > 3 else "PUT"
            if count <= 0 or (method != want and method is not None):
                return None
            open(MODE_FILE, "w").write(f"{words[0]} {limit} {count - 1} {want}\n")
            return (words[0], limit)
        return None


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def with_connection_close(head):
    lines = head.split(b"\r\n")
    kept = [lines[0]] + [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n"


def pump(src, dst, limit=None, on_cut=None):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) > limit:
                dst.sendall(data[: limit - sent])
                on_cut(src)
                return
            dst.sendall(data)
            sent += len(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve_raw(client):
    fault = take_fault(None)
    upstream = socket.create_connection(("127.0.0.1", UPSTREAM_PORT))
    limit = fault[1] if fault else None
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream, limit, lambda src: fault_action(fault[0], client, upstream))
    back.join()
    upstream.close()


def fault_action(kind, client, upstream):
    if kind == "stall":
        time.sleep(120)  # reads nothing more: the client's send buffer fills
    for s in (client, upstream):
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    if RAW:
        try:
            serve_raw(client)
        except OSError:
            pass
        finally:
            client.close()
        return
    try:
        head, rest = read_head(client)
        if head is None:
            return
        method = head.split(b" ", 1)[0].decode("latin-1")
        fault = take_fault(method)
        if fault and fault[0] == "500":
            body = b"injected fault\n"
            client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n"
                           b"Connection: close\r\n\r\n%s" % (len(body), body))
            client.shutdown(socket.SHUT_WR)
            client.settimeout(2)
            try:  # let the client finish sending so it reads the answer, not a reset
                while client.recv(65536):
                    pass
            except OSError:
                pass
            return
        upstream = socket.create_connection(("127.0.0.1", UPSTREAM_PORT))
        upstream.sendall(with_connection_close(head))
        limit = None

        def do_cut(_src=None):
            fault_action(fault[0], client, upstream)

        if fault and fault[0] in ("cut", "stall"):
            limit = fault[1]
            if len(rest) > limit:
                rest = rest[:limit]
                upstream.sendall(rest)
                do_cut()
                return
            limit -= len(rest)
        if rest:
            upstream.sendall(rest)
        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream, limit, do_cut)
        back.join()
        upstream.close()
    except OSError:
        pass
    finally:
        client.close()


def main():
    serve_forever(LISTEN_PORT, serve)


if __name__ == "__main__":
    main()
