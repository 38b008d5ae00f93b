"""Reading lock files and telling our postmaster apart from stale pids, without a server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vigil.db import pgdata

FULL = "4242\n/var/lib/vigil/pg\n1700000000\n5432\n/var/lib/vigil/pg\n\n  5432001  0\nready\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FULL, (4242, 5432, Path("/var/lib/vigil/pg"), "ready")),
        ("4242\n/var/lib/vigil/pg\n", (4242, None, None, None)),  # torn while starting
        ("-77\n/d\n", (77, None, None, None)),  # standalone backend writes -pid
        ("", None),
        ("garbage\n", None),
    ],
)
def test_parse_lock_text(text: str, expected: tuple[object, ...] | None) -> None:
    info = pgdata.parse_lock_text(text)
    got = None if info is None else (info.pid, info.port, info.socket_dir, info.status)
    assert got == expected


def test_read_postmaster_pid_absent(tmp_path: Path) -> None:
    assert pgdata.read_postmaster_pid(tmp_path) is None


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_describe_pid() -> None:
    assert "unrelated process" in pgdata.describe_pid(os.getpid())
    assert pgdata.describe_pid(_dead_pid()).endswith("is gone")


def test_process_identity_and_holders() -> None:
    me = pgdata.process_identity(os.getpid())
    assert me is not None and me[0] == os.getpid()
    assert pgdata.process_identity(_dead_pid()) is None
    parent = os.getppid()
    assert pgdata.live_holders([os.getpid(), _dead_pid(), parent]) == [parent]


def test_no_postgres_runs_in_an_ordinary_directory(tmp_path: Path) -> None:
    assert pgdata.postgres_processes(tmp_path) == []


def test_stale_socket_files_only_for_our_data_dir(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    (tmp_path / ".s.PGSQL.5432.lock").write_text(f"1\n{ours}\n")
    (tmp_path / ".s.PGSQL.5432").touch()
    (tmp_path / ".s.PGSQL.5433.lock").write_text(f"1\n{theirs}\n")
    found = pgdata.stale_socket_files([tmp_path], ours)
    assert sorted(p.name for p in found) == [".s.PGSQL.5432", ".s.PGSQL.5432.lock"]
