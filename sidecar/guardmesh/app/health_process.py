"""The admin port's front: /healthz answered by a process of its own, everything else passed to the sidecar.

Run by app/admin_thread.py as `python -I -S health_process.py LISTEN_HOST LISTEN_PORT INTERNAL_PORT BEAT_FD`,
with the standard library only (about 10 MB of memory). Why a process: inspecting a large message holds
the interpreter lock for up to ~150 ms at a time in C calls of the guards (a 4 MiB text of zero-width
characters, measured), which a thread of the sidecar cannot answer between; the kubelet's liveness
probe must not wait for that. Liveness is still honest: the sidecar's event loop writes a byte on
BEAT_FD every half second, and /healthz fails once it has been silent STALL_SECONDS. Other paths
(/readyz, /metrics) are forwarded to the sidecar's own admin server on 127.0.0.1:INTERNAL_PORT.
The process ends when the sidecar does (the heartbeat pipe closes).
"""

import os
import socket
import sys
import threading
import time

STALL_SECONDS = 10.0
HEAD_LIMIT = 16384


class Beat:
    def __init__(self, fd: int) -> None:
        self.last = time.monotonic()
        self._fd = fd

    def follow(self) -> None:
        """Read heartbeats until the sidecar closes the pipe, then end this process."""
        while os.read(self._fd, 4096):
            self.last = time.monotonic()
        os._exit(0)


def _answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def serve_one(conn: socket.socket, beat: Beat, internal: int) -> None:
    with conn:
        conn.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].split()
        if len(request_line) < 2:
            conn.sendall(_answer("400 Bad Request", b'{"error":"malformed request"}'))
            return
        method, target = request_line[0], request_line[1]
        if target.split(b"?", 1)[0] == b"/healthz" and method in (b"GET", b"HEAD"):
            stalled = time.monotonic() - beat.last
            if stalled > STALL_SECONDS:
                body = b'{"status":"stalled","stalledSeconds":%.1f}' % stalled
                conn.sendall(_answer("503 Service Unavailable", body))
            else:
                conn.sendall(_answer("200 OK", b'{"status":"ok"}'))
            return
        try:
            with socket.create_connection(("127.0.0.1", internal), timeout=10) as upstream:
                upstream.sendall(method + b" " + target + b" HTTP/1.0\r\nHost: admin\r\n\r\n")
                while data := upstream.recv(65536):
                    conn.sendall(data)
        except OSError:
            conn.sendall(_answer("502 Bad Gateway", b'{"error":"the sidecar did not answer"}'))


def main() -> None:
    host, port, internal, fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    beat = Beat(fd)
    threading.Thread(target=beat.follow, daemon=True).start()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    bound = listener.getsockname()
    sys.stdout.write(f"{bound[0]}:{bound[1]}\n")
    sys.stdout.flush()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_one, args=(conn, beat, internal), daemon=True).start()


if __name__ == "__main__":
    main()
