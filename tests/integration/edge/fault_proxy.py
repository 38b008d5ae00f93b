"""A TCP proxy between a camera worker and the DVR simulator that injects network and
stream faults into RTSP-interleaved traffic (RTP over the RTSP connection).

Faults: `cut(down_s)` drops every connection and refuses new ones for `down_s` (network
cut); `corrupt(n)` / `truncate(n)` damage the payload of the next n RTP packets;
`leap(ticks)` adds `ticks` (90 kHz) to every later RTP timestamp, mod 2**32 (the DVR's
clock changed; an offset near 2**32 makes the timestamps wrap).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

_RTP_HEADER = 12


class FaultProxy:
    def __init__(self, upstream_port: int, *, wrap_after_s: float | None = None) -> None:
        """`wrap_after_s`: shift each connection's RTP clock so that it wraps past 2**32
        that many seconds after its first packet."""
        self._wrap_after_s = wrap_after_s
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._down_until = 0.0
        self._corrupt = 0
        self._truncate = 0
        self._offset = 0
        self.damaged = 0
        self._wrapped = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, upstream_url: str) -> str:
        return upstream_url.replace(f":{self._upstream[1]}/", f":{self.port}/")

    # -- faults ---------------------------------------------------------------------------

    def cut(self, down_s: float) -> None:
        with self._lock:
            self._down_until = time.monotonic() + down_s
            socks, self._socks = self._socks, []
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def corrupt(self, packets: int) -> None:
        with self._lock:
            self._corrupt += packets

    def truncate(self, packets: int) -> None:
        with self._lock:
            self._truncate += packets

    def leap(self, ticks: int) -> None:
        with self._lock:
            self._offset = (self._offset + ticks) % 2**32

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.cut(0)

    # -- plumbing -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._down_until:
                client.close()
                continue
            try:
                server = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        self._close_pair(src, dst)

    def _downstream(self, server: socket.socket, client: socket.socket) -> None:
        buf = b""
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                buf += data
                out, buf = self._frames(buf)
                if out:
                    client.sendall(out)
        self._close_pair(server, client)

    def _frames(self, buf: bytes) -> tuple[bytes, bytes]:
        """Split complete RTSP messages and interleaved frames off `buf`, altering RTP."""
        out = bytearray()
        while buf:
            if buf[0] == 0x24:  # '$' channel(1) length(2) payload
                if len(buf) < 4:
                    break
                length = struct.unpack(">H", buf[2:4])[0]
                if len(buf) < 4 + length:
                    break
                channel, packet = buf[1], buf[4 : 4 + length]
                buf = buf[4 + length :]
                packet = self._alter(channel, packet)
                out += b"$" + bytes([channel]) + struct.pack(">H", len(packet)) + packet
            else:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buf[: end + 4]
                body = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        body = int(line.split(b":")[1])
                if len(buf) < end + 4 + body:
                    break
                out += buf[: end + 4 + body]
                buf = buf[end + 4 + body :]
        return bytes(out), buf

    def _alter(self, channel: int, packet: bytes) -> bytes:
        with self._lock:
            offset = self._offset
            corrupt = truncate = False
            if channel % 2 == 0 and len(packet) > _RTP_HEADER + 40:
                if self._corrupt:
                    self._corrupt -= 1
                    corrupt = True
                elif self._truncate:
                    self._truncate -= 1
                    truncate = True
        data = bytearray(packet)
        if channel % 2 == 0 and len(data) >= _RTP_HEADER:
            ts = struct.unpack(">I", data[4:8])[0]
            if self._wrap_after_s is not None and not self._wrapped:
                self._wrapped = True
                with self._lock:
                    self._offset = (2**32 - round(self._wrap_after_s * 90_000) - ts) % 2**32
                    offset = self._offset
            data[4:8] = struct.pack(">I", (ts + offset) % 2**32)
        elif channel % 2 == 1 and len(data) >= 20 and data[1] == 200:  # RTCP sender report
            ts = struct.unpack(">I", data[16:20])[0]
            data[16:20] = struct.pack(">I", (ts + offset) % 2**32)
        if corrupt:
            start = _RTP_HEADER + 8  # past the NAL/FU headers: damage the slice data
            data[start:] = bytes(b ^ 0x5A for b in data[start:])
            self.damaged += 1
        if truncate:
            del data[_RTP_HEADER + (len(data) - _RTP_HEADER) // 3 :]
            self.damaged += 1
        return bytes(data)

    def _close_pair(self, a: socket.socket, b: socket.socket) -> None:
        for sock in (a, b):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with self._lock:
            self._socks = [s for s in self._socks if s not in (a, b)]
