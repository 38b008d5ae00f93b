"""A whole Vigil site for tests: the DVR simulator as a child process and Vigil in a thread.

Vigil runs exactly as `vigil up` runs it (embedded PostgreSQL, in-process bus, local store,
real HTTP server on a free port); tests talk to it over HTTP and WebSocket like a user would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from vigil.app.demo import demo_config, free_port
from vigil.app.runtime import RuntimeOptions, Vigil
from vigil.config import SiteConfig

T = TypeVar("T")
ADMIN_PASSWORD = "test-admin-password-1"
SIM_PASSWORD = "dvr-pass-Xy9"
# Encoded once per machine and reused by every test session (keyed by content parameters).
SIM_CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", Path.home() / ".cache" / "vigil" / "test"))
SIM_DURATION_S = 30.0


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, every_s: float = 0.5) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as err:  # the probed service may be restarting
            last_error = err
        time.sleep(every_s)
    raise AssertionError(
        f"timed out after {timeout_s:.0f} s waiting for {what}"
        + (f" (last error: {last_error!r})" if last_error else "")
    )


class Simulator:
    def __init__(self, port: int, channels: int, clock_channels: tuple[int, ...] = ()) -> None:
        self.port = port
        self.channels = channels
        # Channels with the wall clock burnt in (tests/support/latency_probe.js reads it).
        self.clock_channels = clock_channels
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = b""

    def start(self, timeout_s: float = 240) -> None:
        env = {**os.environ, "VIGIL_DVR_SIM_PASSWORD": SIM_PASSWORD}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vigil.dvr.simulator",
                "--port",
                str(self.port),
                "--channels",
                str(self.channels),
                "--cache-dir",
                str(SIM_CACHE / "dvr-sim"),
                "--duration-s",
                str(SIM_DURATION_S),
                *(f"--clock-channel={c}" for c in self.clock_channels),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.log += line
            if not line and self.proc.poll() is not None:
                raise AssertionError(f"simulator exited early:\n{self.log.decode()}")
            if b"dvr-sim ready" in line:
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise AssertionError("simulator did not become ready")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log += line

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


class RunningSite:
    """Start with `start()`; `stop()` tears everything down, simulator included."""

    def __init__(
        self,
        data_dir: Path,
        channels: int = 2,
        clock_channels: tuple[int, ...] = (),
        **config_overrides: Any,
    ) -> None:
        self.data_dir = data_dir
        self.simulator = Simulator(free_port(0), channels, clock_channels)
        self.config_overrides = config_overrides
        self.vigil: Vigil | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._token: str | None = None

    def site_config(self) -> SiteConfig:
        base = demo_config(self.simulator.port, SIM_PASSWORD, channels=self.simulator.channels)
        if not self.config_overrides:
            return base
        data = base.model_dump(mode="json")
        data["dvr"]["password"] = SIM_PASSWORD
        for key, value in self.config_overrides.items():
            data[key] = value
        return SiteConfig.model_validate(data)

    def start(self, timeout_s: float = 120) -> None:
        self.simulator.start()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s) or self._error is not None:
            raise AssertionError(f"Vigil did not start: {self._error!r}")

    def _run(self, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            vigil = Vigil(
                self.site_config(),
                RuntimeOptions(data_dir=self.data_dir, port=0, admin_password=ADMIN_PASSWORD),
            )
            self.vigil = vigil
            try:
                await vigil.start()
                ready.set()
                await self._stop.wait()
            finally:
                await vigil.stop()

        try:
            asyncio.run(main())
        except BaseException as err:
            self._error = err
            ready.set()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(60)
        self.simulator.kill()

    @property
    def url(self) -> str:
        assert self.vigil is not None
        return self.vigil.url

    def token(self) -> str:
        if self._token is None:
            r = httpx.post(
                f"{self.url}/api/v1/auth/login",
                json={"username": "admin", "password": ADMIN_PASSWORD},
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def camera(self, camera_id: str) -> dict[str, Any]:
        r = self.api("GET", f"/api/v1/cameras/{camera_id}")
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body


@contextlib.contextmanager
def running_site(
    data_dir: Path, channels: int = 2, clock_channels: tuple[int, ...] = (), **overrides: Any
) -> Iterator[RunningSite]:
    site = RunningSite(data_dir, channels, clock_channels, **overrides)
    try:
        site.start()
        yield site
    finally:
        site.stop()
