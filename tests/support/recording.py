"""Helpers for tests that record the DVR simulator's streams: polling, a running simulator,
the gaps between stored segments and a check that every stored segment plays."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest

from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator
from vigil.model.messages import SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET


def wait_until(cond: Callable[[], bool], timeout_s: float) -> None:
    """Poll `cond`; the timeout only guards against hanging (the box may be busy)."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        threading.Event().wait(0.05)


def running_simulator(
    tmp_path_factory: pytest.TempPathFactory, password: str
) -> Iterator[BackgroundSimulator]:
    """A two-channel simulator (12 s loops) for a module fixture to `yield from`."""
    cache = tmp_path_factory.mktemp("dvr-sim-cache")
    running = BackgroundSimulator(
        DvrSimulator(port=0, channels=2, password=password, duration_s=12, cache_dir=cache)
    )
    running.start()
    yield running
    running.stop()


def gaps_s(segments: list[SegmentInfo]) -> list[float]:
    """Seconds between consecutive segments, in start order."""
    ordered = sorted(segments, key=lambda s: s.start)
    return [(b.start - a.end).total_seconds() for a, b in itertools.pairwise(ordered)]


def assert_all_play(store_root: Path, segments: list[SegmentInfo]) -> None:
    """Every stored segment (in the filesystem store at `store_root`) opens, starts with a
    keyframe and holds the 25 fps frames of the duration it claims."""
    store = FsObjectStore(store_root)
    for seg in segments:
        path = store.local_path(BUCKET, seg.key)
        assert path is not None, seg.key
        with av.open(str(path)) as container:
            packets = [p for p in container.demux(container.streams.video[0]) if p.size]
        assert packets[0].is_keyframe, seg
        assert abs(len(packets) / 25 - seg.duration_s) < 0.2, seg
