"""The ingest benchmark's two sides against the real simulator, one stream each, briefly:
both record segments and deliver ~1 fps frames, and CPU is measured. About 45 s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.ingest import Simulator, _ffmpeg, measure
from bench.sides import AnchorSide, Side, VigilSide

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    simulator = Simulator(1, cache_dir=tmp_path_factory.mktemp("sim-cache"), duration_s=12)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.mark.parametrize(
    "side", [AnchorSide(_ffmpeg()), VigilSide(processes=1)], ids=["anchor", "vigil"]
)
def test_side_records_segments_and_samples_frames(
    side: Side, sim: Simulator, tmp_path: Path
) -> None:
    row = measure(side, sim, 1, tmp_path / "out", warmup_s=3, window_s=14)
    assert row.side == side.name
    assert row.segments_found >= 1  # 10 s segments, 14 s window
    assert row.frames_per_stream_min > 0
    assert row.cpu_s_per_stream_min > 0
    assert row.reconnects == 0
    assert side.processes() == []  # measure() stopped every process it started


def test_vigil_side_with_an_ingest_pool_measures_its_children_too(
    sim: Simulator, tmp_path: Path
) -> None:
    side = VigilSide(processes=1, pool="1")  # `--processes 1`: one ingest child
    row = measure(side, sim, 1, tmp_path / "out", warmup_s=4, window_s=14)
    # the ingest program and its child are both measured (and multiprocessing's tracker)
    assert row.processes >= 2
    assert row.segments_found >= 1
    assert row.frames_per_stream_min > 0
    assert row.reconnects == 0
    assert side.processes() == []
