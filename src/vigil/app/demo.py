"""The demo site: the DVR simulator as a child process and a config pointing at it.

The simulator runs in its own process so that serving 8 streams never competes with Vigil for
the interpreter lock, and it is killed with Vigil even if Vigil is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import re
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from vigil.config import SiteConfig, parse_config
from vigil.errors import VigilError
from vigil.ops.progress import NO_STEPS, Step, Steps

log = logging.getLogger(__name__)
READY_MARK = "dvr-sim ready"
# The simulator's log lines (`python -m vigil.dvr.simulator`'s format) and its encoding
# progress (dvr/simulator/content.py).
_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) (?P<name>[\w.]+): (?P<msg>.*)$"
)
_ENCODED = re.compile(r"encoded (\d+)/(\d+) frames")
_ENCODING = "dvr-sim: encoding"
_TRACEBACK_WAIT_S = 0.2  # a traceback's lines follow their record at once
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


class ChildLog:
    """Turns the simulator's output lines back into log records: its level and logger name
    kept, the lines that follow a record (a traceback) attached to it as `exc_text`."""

    def __init__(self) -> None:
        self._pending: logging.LogRecord | None = None
        self._extra: list[str] = []

    def feed(self, line: str) -> list[logging.LogRecord]:
        """Records complete once `line` is read (the one before it, if `line` starts one)."""
        match = _LINE.match(line)
        if match is None and self._pending is not None:
            self._extra.append(line)
            return []
        done = self.flush()
        if match is None:  # not a log line (a crash before logging was set up): keep it
            self._pending = logging.makeLogRecord(
                {"name": "vigil.dvr.simulator", "levelno": logging.WARNING,
                 "levelname": "WARNING", "msg": line}
            )  # fmt: skip
        else:
            level = logging.getLevelName(match["level"])
            self._pending = logging.makeLogRecord(
                {"name": match["name"], "msg": match["msg"],
                 "levelno": level if isinstance(level, int) else logging.INFO,
                 "levelname": match["level"]}
            )  # fmt: skip
        return done

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def flush(self) -> list[logging.LogRecord]:
        record, self._pending = self._pending, None
        if record is None:
            return []
        if self._extra:
            record.exc_text = "\n".join(self._extra)
            self._extra = []
        return [record]


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

    async def start(self, timeout_s: float = 600.0, steps: Steps = NO_STEPS) -> None:
        """Start the simulator and wait until it serves; its first run encodes the demo
        footage, shown as a step of `steps` with the frames done."""
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
            "--log-level",  # its encoding progress, each percent (logged here at DEBUG)
            "DEBUG",
            *(["--cache-dir", str(self.cache_dir)] if self.cache_dir else []),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        assert self._proc.stdout is not None
        child_log = ChildLog()
        try:
            with contextlib.ExitStack() as stack:
                await asyncio.wait_for(
                    self._wait_ready(self._proc.stdout, child_log, steps, stack), timeout_s
                )
        except TimeoutError:
            await self.stop()
            raise VigilError(
                f"the DVR simulator did not become ready in {timeout_s:.0f} s"
            ) from None
        self._pump = asyncio.create_task(
            self._forward(self._proc.stdout, child_log), name="dvr-sim-log"
        )

    async def _wait_ready(
        self,
        stream: asyncio.StreamReader,
        child_log: ChildLog,
        steps: Steps,
        stack: contextlib.ExitStack,
    ) -> None:
        encoding: Step | None = None
        stack.enter_context(steps.step("Starting the DVR simulator"))
        while True:
            line = await _read_line(stream, child_log, quiet=False)
            if not line:
                _emit(child_log.flush(), quiet=False)
                code = await self._proc.wait() if self._proc else None
                raise VigilError(f"the DVR simulator exited (code {code}) before it was ready")
            text = line.decode(errors="replace").rstrip()
            _emit(child_log.feed(text), quiet=False)
            progress = _ENCODED.search(text)
            if _ENCODING in text and encoding is None:
                encoding = stack.enter_context(
                    steps.step("Encoding the demo footage (first run only)")
                )
            elif progress is not None and encoding is not None:
                encoding.update(int(progress[1]), int(progress[2]))
            if READY_MARK in text:
                _emit(child_log.flush(), quiet=False)
                return

    async def _forward(self, stream: asyncio.StreamReader, child_log: ChildLog) -> None:
        """After the start: the simulator's warnings and errors as they are, the rest at
        DEBUG (clients connecting and leaving)."""
        while True:
            line = await _read_line(stream, child_log, quiet=True)
            if not line:
                _emit(child_log.flush(), quiet=True)
                return
            _emit(child_log.feed(line.decode(errors="replace").rstrip()), quiet=True)

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


async def _read_line(stream: asyncio.StreamReader, child_log: ChildLog, *, quiet: bool) -> bytes:
    """The next line; a record waiting for traceback lines is logged after a short pause."""
    while True:
        try:
            wait_s = _TRACEBACK_WAIT_S if child_log.pending else None
            return await asyncio.wait_for(stream.readline(), wait_s)
        except TimeoutError:
            _emit(child_log.flush(), quiet=quiet)


def _emit(records: list[logging.LogRecord], *, quiet: bool) -> None:
    """Log the simulator's records here; `quiet` turns its INFO lines into DEBUG ones, as
    are its encoding progress lines always (`steps` shows them; the log has start and end)."""
    for record in records:
        if (quiet or _ENCODED.search(str(record.msg))) and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def demo_password() -> str:
    return secrets.token_urlsafe(12)
