"""Fixtures for the database layer's own tests."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.db.admin import create_database, database_url, drop_database


@pytest.fixture
def empty_db_url(pg_url: str) -> Iterator[str]:
    """URL of a new, empty database (no extension, no tables), dropped after the test."""
    name = f"vigil_empty_{uuid.uuid4().hex[:12]}"
    create_database(pg_url, name)
    yield database_url(pg_url, name)
    drop_database(pg_url, name)


@pytest.fixture(scope="session")
def pg_dirs() -> Iterator[Path]:
    """A folder for test data directories, outside pytest's basetemp (which every new pytest
    run resets to mode 0700, locking out the `embedded_postgres` user when we run as root)."""
    root = Path(tempfile.mkdtemp(prefix="vigil-test-pgdirs-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)
