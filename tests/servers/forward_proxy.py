#!/usr/bin/python3
"""A forward HTTP proxy on loopback, for the `proxy=` target option.

    forward_proxy.py LISTEN_PORT LOG_FILE

Handles CONNECT host:port (tunnels, as for https://) and absolute-form
requests ("PUT http://host:port/path HTTP/1.1", as for http://), one request
per client connection (it answers with Connection: close). Every request
line is appended to LOG_FILE, so a test can tell the proxy was used.
"""
import socket
import sys
import threading

from loopback_server import serve_forever

LISTEN_PORT, LOG_FILE = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()


def log(line):
    with lock:
        with open(LOG_FILE, "a") as f:
            f.write(line + "\n")


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(a, b):
    back = threading.Thread(target=pump, args=(b, a), daemon=True)
    back.start()
    pump(a, b)
    back.join()


def serve(client):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        method, target, version = lines[0].decode("latin-1").split(" ", 2)
        log(f"{method} {target}")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            relay(client, upstream)
            upstream.close()
            return
        if not target.startswith("http://"):
            client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        hostport, _, path = target[len("http://"):].partition("/")
        host, _, port = hostport.partition(":")
        upstream = socket.create_connection((host, int(port or 80)))
        kept = [l for l in lines[1:] if not l.lower().startswith((b"connection:", b"proxy-connection:"))]
        request = [f"{method} /{path} {version}".encode("latin-1")] + kept + [b"Connection: close"]
        upstream.sendall(b"\r\n".join(request) + b"\r\n\r\n" + rest)
        relay(client, upstream)
        upstream.close()
    except (OSError, ValueError):
        pass
    finally:
        client.close()


def main():
    serve_forever(LISTEN_PORT, serve)


if __name__ == "__main__":
    main()
