"""The demo site: the DVR simulator as a child process and a config pointing at it.

The simulator runs in its own process so that serving 8 streams never competes with Vigil for
the interpreter lock, and it is killed with Vigil even if Vigil is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from vigil.config import SiteConfig, parse_config
from vigil.errors import VigilError

log = logging.getLogger(__name__)
READY_MARK = "dvr-sim ready"
_PR_SET_PDEATHSIG = 1

# Walkable ground of the demo footage (vtest.avi scaled to 960x1080): the lower part of the
# plaza. Normalised x, y; origin top-left.
_WALKWAY = [[0.02, 0.42], [0.98, 0.42], [0.98, 0.99], [0.02, 0.99]]
_DEMO_CAMERAS = [
    ("gate", "Main gate"),
    ("perimeter-north", "Perimeter north fence"),
    ("perimeter-east", "Perimeter east fence"),
    ("loading-bay", "Loading bay"),
    ("warehouse", "Warehouse aisle"),
    ("parking", "Staff parking"),
    ("office", "Office entrance"),
    ("yard", "Yard"),
]


def free_port(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` when it is free, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise VigilError("no free TCP port for the DVR simulator")


def demo_config(rtsp_port: int, password: str, channels: int = 8) -> SiteConfig:
    """The reference site on the simulator, with the zone rule active at all hours."""
    cameras: list[dict[str, Any]] = []
    for i, (cam_id, name) in enumerate(_DEMO_CAMERAS[:channels], start=1):
        cameras.append(
            {
                "id": cam_id,
                "name": name,
                "channel": i,
                "stream": 0,
                "zones": [
                    {"id": "walkway", "name": "Walkway", "polygon": _WALKWAY, "criticality": "high"}
                ],
            }
        )
    data = {
        "site": {
            "id": "demo",
            "name": "Vigil demo site (simulated CP PLUS DVR)",
            "timezone": "Asia/Kolkata",
        },
        "dvr": {
            "model": "CP-UVR-0801E1-CV2 (simulated)",
            "host": "127.0.0.1",
            "rtsp_port": rtsp_port,
            "username": "admin",
            "password": password,
            "channels": channels,
        },
        "cameras": cameras,
        "schedules": {"night": {"start": "22:00", "end": "06:00"}, "demo-always": {"always": True}},
        "rules": [
            {
                "id": "intrusion",
                "name": "Person in the walkway",
                "type": "zone_intrusion",
                "cameras": "*",
                "classes": ["person"],
                "schedule": "demo-always",
                "severity": "high",
                "min_confidence": 0.5,
                "min_frames": 2,
                "clear_after_s": 20,
            }
        ],
        # The demo is for trying Vigil on one machine: no authenticator app needed. A real
        # site keeps the default (admins must enrol two-factor sign-in).
        "security": {"require_admin_mfa": False},
    }
    return parse_config(data, "demo config")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class SimulatorProcess:
    """`python -m vigil.dvr.simulator` as a child; started and stopped with the demo."""

    def __init__(
        self, *, port: int, channels: int, password: str, cache_dir: Path | None = None
    ) -> None:
        self.port = port
        self.channels = channels
        self.password = password
        self.cache_dir = cache_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(self, timeout_s: float = 600.0) -> None:
        env = {**os.environ, "VIGIL_DVR_SIM_PASSWORD": self.password}
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vigil.dvr.simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--channels",
            str(self.channels),
            "--user",
            "admin",
            *(["--cache-dir", str(self.cache_dir)] if self.cache_dir else []),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        assert self._proc.stdout is not None
        try:
            await asyncio.wait_for(self._wait_ready(self._proc.stdout), timeout_s)
        except TimeoutError:
            await self.stop()
            raise VigilError(
                f"the DVR simulator did not become ready in {timeout_s:.0f} s"
            ) from None
        self._pump = asyncio.create_task(self._forward(self._proc.stdout), name="dvr-sim-log")

    async def _wait_ready(self, stream: asyncio.StreamReader) -> None:
        while True:
            line = await stream.readline()
            if not line:
                code = await self._proc.wait() if self._proc else None
                raise VigilError(f"the DVR simulator exited (code {code}) before it was ready")
            text = line.decode(errors="replace").rstrip()
            log.info("dvr-sim: %s", text)
            if READY_MARK in text:
                return

    async def _forward(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            log.debug("dvr-sim: %s", line.decode(errors="replace").rstrip())

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            log.warning("DVR simulator ignored SIGTERM; killing it")
            proc.kill()
            await proc.wait()
        if self._pump:
            self._pump.cancel()


def demo_password() -> str:
    return secrets.token_urlsafe(12)
