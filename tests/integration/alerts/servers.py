"""Real servers for the notification tests: an HTTP server that speaks whatever the provider
(webhook receiver, Twilio-style SMS, FCM v1 push) receives, an SMTP server with STARTTLS
(aiosmtpd) and a mosquitto broker."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.tls import self_signed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpProvider:
    """Records every request; answers `fail_next` of them with 503; holds each request until
    `release` is set (when `hold` is on)."""

    requests: list[Request] = field(default_factory=list)
    fail_next: int = 0
    always_fail: bool = False
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


def serve_http(provider: HttpProvider) -> Iterator[HttpProvider]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            self_req = Request("POST", self.path, {k: v for k, v in self.headers.items()}, body)
            provider.arrived.set()
            if provider.hold:
                provider.release.wait(60)
            with provider.lock:
                provider.requests.append(self_req)
                failing = provider.always_fail or provider.fail_next > 0
                if provider.fail_next > 0:
                    provider.fail_next -= 1
            self.send_response(503 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "unavailable"}' if failing else b'{"sid": "SM1"}')

        def log_message(self, format: str, *args: object) -> None:
            return

    with local_http(Handler) as url:
        provider.url = url
        try:
            yield provider
        finally:
            provider.release.set()


@contextmanager
def local_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port from a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def tls_context(tmp: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed(tmp))
    return context


@dataclass
class Mailbox:
    messages: list[Envelope] = field(default_factory=list)
    tls_used: list[bool] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        self.tls_used.append(session.ssl is not None)
        return "250 OK"


def serve_smtp(tmp: Path) -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        tls_context=tls_context(tmp),
        require_starttls=True,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def run_mosquitto(tmp: Path) -> Iterator[int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("mosquitto exited") from None
                threading.Event().wait(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
