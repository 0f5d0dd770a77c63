"""The accept loop the test proxies share: one thread per client connection."""
import socket
import threading


def serve_forever(port, handle):
    """Listens on 127.0.0.1:port and runs handle(client_socket) in a thread per connection."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client,), daemon=True).start()
