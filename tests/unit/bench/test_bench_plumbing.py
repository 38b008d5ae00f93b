"""`vigil bench` dispatch and the ingest benchmark's bookkeeping (no video here)."""

from __future__ import annotations

import importlib.util
import io

import pytest
from bench import BENCHMARKS, UnknownBenchmarkError, run_benchmark
from bench.ingest import Measurement, _segments
from bench.sides import Segment, Snapshot, _JpegCounter


def test_unknown_benchmark_names_the_known_ones() -> None:
    with pytest.raises(UnknownBenchmarkError, match=r"known: .*ingest"):
        run_benchmark("nope", quick=True, args=[])


def test_every_registered_benchmark_is_module_colon_function() -> None:
    for target in BENCHMARKS.values():
        module, _, func = target.partition(":")
        assert module.startswith("bench.") and func
        assert importlib.util.find_spec(module) is not None, module


def _segs(*spans: tuple[float, float]) -> list[Segment]:
    return [Segment(a, b) for a, b in spans]


@pytest.mark.parametrize(
    ("before", "after", "elapsed_s", "found", "lost"),
    [
        # 40 s window: at least 3 segments per camera must complete.
        ([(0, 10)], [(0, 10), (10, 20), (20, 30), (30, 40)], 40.0, 3, 0),
        # one segment short
        ([(0, 10)], [(0, 10), (10, 20), (20, 30)], 40.0, 2, 1),
        # contiguous count but a 12 s hole between segments: two segments' worth lost
        ([(0, 10)], [(0, 10), (10, 20), (32, 42), (42, 52)], 40.0, 3, 2),
        # a hole at the window's first boundary counts too
        ([(0, 10)], [(0, 10), (15, 25), (25, 35), (35, 45)], 40.0, 3, 1),
        # jitter under half a second is not a gap
        ([], [(0, 10), (10.3, 20), (20, 30)], 40.0, 3, 0),
    ],
)
def test_segments_found_and_lost(
    before: list[tuple[float, float]],
    after: list[tuple[float, float]],
    elapsed_s: float,
    found: int,
    lost: int,
) -> None:
    snap0 = Snapshot(segments={"c": _segs(*before)})
    snap1 = Snapshot(segments={"c": _segs(*after)})
    assert _segments(snap0, snap1, {"c": "url"}, elapsed_s) == (found, lost)


def test_jpeg_counter_counts_end_markers_split_across_reads() -> None:
    jpeg = b"\xff\xd8" + b"\x00\xff\x00" * 10 + b"\xff\xd9"
    stream = io.BufferedReader(io.BytesIO(jpeg * 3), buffer_size=7)  # type: ignore[arg-type]  # BytesIO is raw enough
    counter = _JpegCounter(stream)
    counter.run()
    assert counter.count == 3


@pytest.mark.parametrize(
    ("lost", "reconnects", "frames", "sustained"),
    [(0, 0, 60.0, True), (1, 0, 60.0, False), (0, 1, 60.0, False), (0, 0, 50.0, False)],
)
def test_sustained_needs_every_segment_every_frame_and_no_reconnect(
    lost: int, reconnects: int, frames: float, sustained: bool
) -> None:
    row = Measurement("vigil", 4, 1, 60, 1.0, 0.1, frames, 20, 20, lost, reconnects)
    assert row.sustained is sustained
