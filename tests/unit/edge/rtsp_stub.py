"""A tiny real RTSP server for error paths: answers OPTIONS, then DESCRIBE with a fixed
status (401, 404, …), or, when `silent`, accepts connections and never answers."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class RtspStub:
    def __init__(self, status: str = "401 Unauthorized", *, silent: bool = False) -> None:
        self.status = status
        self.silent = silent
        self.requests: list[str] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port: int = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, user: str = "admin", password: str = "s3cret") -> str:
        return (
            f"rtsp://127.0.0.1:{self.port}/user={user}&password={password}&channel=1&stream=0.sdp?"
        )

    def __enter__(self) -> RtspStub:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            if not self.silent:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with contextlib.suppress(OSError):
            while data := conn.recv(4096):
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode().split("\r\n")
                    self.requests.append(lines[0])
                    cseq = next(
                        v for k, _, v in (ln.partition(":") for ln in lines) if k.lower() == "cseq"
                    ).strip()
                    if lines[0].startswith("OPTIONS"):
                        reply = f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n"
                    else:
                        reply = f"RTSP/1.0 {self.status}\r\nCSeq: {cseq}\r\n"
                    conn.sendall((reply + "\r\n").encode())
