"""EmbeddedPostgres against real servers: clean runs, and every mess a crashed run leaves."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vigil.db import pgdata
from vigil.db.embedded import EmbeddedPostgres
from vigil.errors import DatabaseError


@pytest.fixture(scope="module")
def seed_cluster(pg_dirs: Path) -> Path:
    """A cluster initialised once (and stopped); tests copy it instead of running initdb."""
    data_dir = pg_dirs / "seed"
    with EmbeddedPostgres(data_dir):
        pass
    return data_dir


@pytest.fixture
def data_dir(seed_cluster: Path, pg_dirs: Path) -> Iterator[Path]:
    target = pg_dirs / uuid.uuid4().hex
    shutil.copytree(seed_cluster, target, symlinks=True)
    yield target
    for proc in pgdata.postgres_processes(target):  # a failed test may leave one running
        proc.kill()


def _write(url: str, value: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x int)"))
        conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
    engine.dispose()


def _read(url: str) -> list[int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        values = [row[0] for row in conn.execute(text("SELECT x FROM t ORDER BY x"))]
    engine.dispose()
    return values


def _write_pid_file(data_dir: Path, pid: int) -> None:
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n1700000000\n5432\n{data_dir}\n\n  5432001         0\nready\n"
    )


def _kill(pid: int) -> None:
    """SIGKILL `pid` and wait until it is dead (a zombie counts: nothing may reap it)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pgdata.process_identity(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.01)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_first_start_runs_initdb_and_stop_is_clean(pg_dirs: Path) -> None:
    fresh = pg_dirs / "fresh"
    server = EmbeddedPostgres(fresh)
    url = server.start()
    assert url.startswith("postgresql+psycopg://postgres@") and url.split("?")[0].endswith("/vigil")
    _write(url, 1)
    pid = server.pid
    assert pid is not None
    server.stop()
    assert not (fresh / "postmaster.pid").exists()
    assert pgdata.postgres_processes(fresh) == []
    with pytest.raises(DatabaseError, match="not started"):
        _ = server.url
    server.stop()  # idempotent


def test_start_is_idempotent_and_consecutive_starts_work(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    url = server.start()
    assert server.start() == url
    _write(url, 1)
    server.stop()
    again = EmbeddedPostgres(data_dir)
    _write(again.start(), 2)
    again.stop()
    with EmbeddedPostgres(data_dir) as third:
        assert _read(third.url) == [1, 2]


def test_start_after_sigkill_recovers_and_keeps_committed_data(data_dir: Path) -> None:
    crashed = EmbeddedPostgres(data_dir)
    _write(crashed.start(), 42)
    assert crashed.pid is not None
    # unclean: stale postmaster.pid, no shutdown checkpoint; and no pause: the postmaster's
    # children may still hold its shared memory when we restart
    _kill(crashed.pid)
    survivor = EmbeddedPostgres(data_dir)
    url = survivor.start()
    assert survivor.pid != crashed.pid
    assert _read(url) == [42]
    log = (data_dir / "log").read_text()
    assert "was not properly shut down" in log and "automatic recovery" in log
    crashed.stop()  # the dead instance must not stop the new server
    assert _read(url) == [42]
    survivor.stop()
    assert pgdata.postgres_processes(data_dir) == []


def test_start_clears_children_of_a_killed_postmaster(data_dir: Path) -> None:
    crashed = EmbeddedPostgres(data_dir)
    _write(crashed.start(), 1)
    children = [p for p in pgdata.postgres_processes(data_dir) if p.pid != crashed.pid]
    assert children
    children[0].suspend()  # a child that never notices: keeps the shared memory attached
    assert crashed.pid is not None
    _kill(crashed.pid)
    with EmbeddedPostgres(data_dir) as server:
        assert _read(server.url) == [1]
    assert pgdata.process_identity(children[0].pid) is None
    crashed.stop()


def test_restart_after_crash_from_the_same_instance(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    _write(server.start(), 7)
    assert server.pid is not None
    _kill(server.pid)
    assert _read(server.start()) == [7]
    server.stop()


@pytest.mark.parametrize("stale", ["dead pid", "live unrelated pid", "torn file"])
def test_start_with_stale_postmaster_pid(data_dir: Path, stale: str) -> None:
    if stale == "dead pid":
        _write_pid_file(data_dir, _dead_pid())
    elif stale == "live unrelated pid":
        _write_pid_file(data_dir, os.getpid())  # alive, but pytest is no postmaster
    else:
        (data_dir / "postmaster.pid").write_text("12")  # crash while writing it
    # and a socket lock file left by that run (PostgreSQL would refuse it for a live pid)
    (data_dir / ".s.PGSQL.5432.lock").write_text(f"{os.getpid()}\n{data_dir}\n1700000000\n5432\n")
    with EmbeddedPostgres(data_dir) as server:
        _write(server.url, 1)
        assert server.pid not in (os.getpid(), 12)


def _spawn_holder(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    """Another process that starts the server and keeps running; returns it and the pid."""
    code = (
        "import sys, time; from pathlib import Path;"
        "from vigil.db.embedded import EmbeddedPostgres;"
        f"s = EmbeddedPostgres(Path({str(data_dir)!r})); s.start();"
        "print(s.pid, flush=True); time.sleep(120)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip().isdigit(), f"holder failed to start: {line!r}"
    return proc, int(line)


def test_orphan_postmaster_of_a_killed_process_is_stopped_and_started_afresh(
    data_dir: Path,
) -> None:
    holder, orphan_pid = _spawn_holder(data_dir)
    holder.kill()  # SIGKILL: no atexit, the postmaster runs on with nobody to stop it
    holder.wait()
    with EmbeddedPostgres(data_dir) as server:
        assert server.pid != orphan_pid
        assert pgdata.process_identity(orphan_pid) is None  # gone (or a zombie)
        _write(server.url, 5)
    assert pgdata.postgres_processes(data_dir) == []


def test_server_of_a_live_process_is_shared_not_restarted(data_dir: Path) -> None:
    holder, holder_pid = _spawn_holder(data_dir)
    try:
        server = EmbeddedPostgres(data_dir)
        server.start()
        assert server.pid == holder_pid
        _write(server.url, 9)
        server.stop()  # the other process still uses it
        assert pgdata.process_identity(holder_pid) is not None
    finally:
        holder.kill()
        holder.wait()
    with EmbeddedPostgres(data_dir) as after:  # now an orphan: restarted
        assert after.pid != holder_pid
        assert _read(after.url) == [9]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_tcp_mode_listens_on_localhost(data_dir: Path) -> None:
    port = _free_port()
    with EmbeddedPostgres(data_dir, tcp_port=port) as server:
        assert f"@127.0.0.1:{port}/vigil" in server.url
        _write(server.url, 3)
        assert _read(server.url) == [3]


def test_tcp_port_in_use_is_a_clear_error(data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DatabaseError, match=f"127.0.0.1:{port}: port in use"):
            EmbeddedPostgres(data_dir, tcp_port=port).start()


def test_failed_start_reports_the_server_log(data_dir: Path) -> None:
    with (data_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write("shared_buffers = 'lots'\n")
    with pytest.raises(DatabaseError, match="failed to start") as caught:
        EmbeddedPostgres(data_dir).start()
    assert "shared_buffers" in caught.value.detail


def test_second_instance_in_one_process_is_refused(data_dir: Path) -> None:
    with (
        EmbeddedPostgres(data_dir),
        pytest.raises(DatabaseError, match="already started by this process"),
    ):
        EmbeddedPostgres(data_dir).start()
