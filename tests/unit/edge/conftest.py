"""Fixtures for the edge unit tests: H.264 clips made once per session with PyAV's libx264."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.unit.edge.edge_clips import FPS, make_clip
from vigil.clock import FakeClock
from vigil.storage import FsObjectStore


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """gop1: 1 s GOP; gop3: 3 s GOP; gop15: 15 s GOP (longer than a segment). All 35 s."""
    d = tmp_path_factory.mktemp("clips")
    return {
        "gop1": make_clip(d / "gop1.mp4", gop=FPS),
        "gop3": make_clip(d / "gop3.mp4", gop=3 * FPS),
        "gop15": make_clip(d / "gop15.mp4", gop=15 * FPS),
    }


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.fromisoformat("2026-03-01T23:59:55+00:00"))


@pytest.fixture
def tmp_store(tmp_path: Path) -> FsObjectStore:
    return FsObjectStore(tmp_path / "store")
