"""Hostile delivery servers on 127.0.0.1: they accept, then drip or answer garbage.

Real sockets, real server threads: what a stuck mail relay, a half-dead webhook endpoint or a port
with the wrong service behind it does to a client.
"""

from __future__ import annotations

import socket
import threading
import time


class HostileServer:
    """Accepts connections; each gets `script(conn)` in its own thread."""

    def __init__(self, script) -> None:  # type: ignore[no-untyped-def]
        self._script = script
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = int(self._sock.getsockname()[1])
        self.connections = 0
        self.bytes_received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._script(self, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def read_some(self, conn: socket.socket, timeout: float = 0.5) -> None:
        """Read what the client sent so far (its request), without blocking long."""
        conn.settimeout(timeout)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self.bytes_received += chunk
        except TimeoutError:
            return

    def drip(self, conn: socket.socket, data: bytes, every: float) -> None:
        """Send `data` one byte at a time, `every` seconds apart, then keep dripping spaces."""
        for b in data:
            if self._stop.is_set():
                return
            conn.sendall(bytes([b]))
            time.sleep(every)
        while not self._stop.is_set():
            conn.sendall(b" ")
            time.sleep(every)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()


def dripping_smtp(every: float = 0.3) -> HostileServer:
    """An SMTP server whose greeting arrives one byte every `every` seconds, for ever."""
    return HostileServer(lambda s, c: s.drip(c, b"220 slow.example ESMTP", every))


def dripping_http(every: float = 0.3) -> HostileServer:
    """An HTTP server that reads the request, then drips its status line and headers for ever."""

    def script(s: HostileServer, c: socket.socket) -> None:
        s.read_some(c)
        s.drip(c, b"HTTP/1.1 200 OK\r\nX-Slow: ", every)

    return HostileServer(script)


def garbage_http(answer: bytes = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n") -> HostileServer:
    """A port with the wrong service behind it: any request gets a non-HTTP answer."""

    def script(s: HostileServer, c: socket.socket) -> None:
        s.read_some(c, 0.2)
        c.sendall(answer)

    return HostileServer(script)
