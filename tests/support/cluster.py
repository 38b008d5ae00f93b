"""A multi-process Vigil cluster for tests: `vigil edge|hub|worker` children on loopback.

`Role` runs one Vigil command as a child with its output collected; `Client` is the REST API
as the admin; `AlertSocket` is a dashboard's /ws/alerts connection; `Link` stands for an
edge's WAN link to the hub (a TCP relay that can be cut and restored).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.support.engines import free_port
from tests.support.site import wait_for

VIGIL = [sys.executable, "-m", "vigil.cli"]
ADMIN_PASSWORD = "cluster-admin-password-1"


class Role:
    """One `vigil …` child process (edge, hub, worker) with its output collected."""

    def __init__(self, args: list[str], env: dict[str, str], ready: str = "Vigil is running"):
        self.args, self.env, self.ready_text = args, env, ready
        self.output = ""
        self.proc: subprocess.Popen[str] | None = None
        self._terminated = False

    @property
    def name(self) -> str:
        return f"vigil {self.args[0]}"

    def spawn(self) -> None:
        """Start it without waiting (`wait_ready` waits): several roles start side by side."""
        self.output = ""
        self._terminated = False
        self.proc = subprocess.Popen(
            [*VIGIL, *self.args], env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def wait_ready(self, timeout_s: float = 180) -> None:
        proc = self.proc
        assert proc is not None
        wait_for(
            f"'{self.name}' to start",
            lambda: self.ready_text in self.output or proc.poll() is not None,
            timeout_s,
        )
        assert proc.poll() is None, f"{self.output[-3000:]}\n{self.name} exited while starting"

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        keep = os.environ.get("VIGIL_CLUSTER_LOGS")  # a folder to keep every child's log in
        log = None
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            name = "-".join(self.args[:3:2] if self.args[1:2] == ["--role"] else self.args[:1])
            log = (Path(keep) / f"{name}-{proc.pid}.log").open("w", encoding="utf-8")
        with log or contextlib.nullcontext():
            for line in proc.stdout:
                self.output += line
                if log is not None:
                    log.write(line)
                    log.flush()

    def terminate(self) -> None:
        """SIGTERM (once), as systemd stops it; `stop` waits for the clean exit."""
        if self.proc is not None and self.proc.poll() is None and not self._terminated:
            self._terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; it must exit cleanly."""
        if self.proc is None:
            return
        self.terminate()
        try:
            code = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        # The verdict after the log's tail: a CI report that keeps only the end still shows it.
        assert code == 0, f"{self.output[-3000:]}\n{self.name} exited {code} (its log's tail above)"

    def kill(self) -> None:
        """SIGKILL: a crash, a lost machine."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def stop_all(roles: list[Role]) -> None:
    """SIGTERM to all at once, then each must exit cleanly (as `Role.stop`)."""
    for role in roles:
        role.terminate()
    for role in roles:
        role.stop()


class WorkerRole(Role):
    """`vigil worker --role ROLE` with its health port."""

    def __init__(self, role: str, config: str, data_dir: str, env: dict[str, str]) -> None:
        self.port = free_port()
        args = ["worker", "--role", role, "--config", config, "--data-dir", data_dir,
                "--port", str(self.port)]  # fmt: skip
        super().__init__(args, env, ready="is running; health")

    def frames(self) -> int:
        """Detection frames this analytics worker has evaluated (its health report); 0 when
        it does not answer."""
        url = f"http://127.0.0.1:{self.port}/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                report = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return 0
        return int(report["components"]["analytics"]["detail"].split()[0])


def create_key(name: str, env: dict[str, str], data_dir: str) -> subprocess.Popen[str]:
    """`vigil keys create --name NAME` beside a running hub (started; `.communicate()` it)."""
    return subprocess.Popen(
        [*VIGIL, "keys", "create", "--name", name, "--data-dir", data_dir],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


class Client:
    """The REST API as the admin of one server."""

    def __init__(self, base_url: str, verify: ssl.SSLContext | bool = True) -> None:
        self.http = httpx.Client(base_url=base_url, verify=verify, timeout=10)
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            r = self.http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            r.raise_for_status()
            self._token = str(r.json()["access_token"])
        return self._token

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers={"Authorization": f"Bearer {self.token()}"})
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.token()}"})
        assert r.is_success, r.text
        return r.json()

    def alerts(self, camera_id: str) -> list[dict[str, Any]]:
        page = self.get("/api/v1/alerts", camera_id=camera_id, limit=500)
        items: list[dict[str, Any]] = page["items"]
        return items

    def event_ids(self, camera_id: str, start: str, end: str) -> list[str]:
        page = self.get("/api/v1/events", camera_id=camera_id, start=start, end=end, limit=500)
        return [e["id"] for e in page["items"]]

    def segment_keys(self, camera_id: str, start: str, end: str) -> list[str]:
        rows = self.get("/api/v1/recordings", camera_id=camera_id, start=start, end=end)
        return [r["key"] for r in rows]


class AlertSocket:
    """A dashboard's /ws/alerts connection, collecting every message pushed on it."""

    def __init__(self, base_url: str, token: str, ssl_context: ssl.SSLContext | None) -> None:
        ws_url = base_url.replace("https://", "wss://").replace("http://", "ws://")
        self._stack = contextlib.ExitStack()
        self.conn = self._stack.enter_context(
            connect(f"{ws_url}/ws/alerts?token={token}", ssl=ssl_context, open_timeout=10)
        )
        self.messages: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # closed at the end of the test
            for raw in self.conn:
                self.messages.append(json.loads(raw))

    def created(self) -> list[dict[str, Any]]:
        """The alerts announced as new, in order."""
        return [m["alert"] for m in self.messages if m.get("type") == "alert.created"]

    def close(self) -> None:
        self._stack.close()


class Link:
    """An edge's WAN link to the hub: a TCP relay from a loopback port to the hub's.

    `cut()` drops every open connection and closes the port (new connections are refused, as
    when the line is down); `restore()` listens on the same port again.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = threading.Event()
        self._server: socket.socket | None = None

    def restore(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR on POSIX
        self._server.settimeout(0.2)
        self._up.set()
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    start = restore

    def cut(self) -> None:
        self._up.clear()
        if self._server is not None:
            self._server.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    close = cut

    def _accept(self, server: socket.socket) -> None:
        while self._up.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), 5)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.settimeout(None)  # a quiet keep-alive connection is not a dead one
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self._open.discard(src)
        src.close()
