"""The simulator's clock channel over real RTSP: every frame carries the time it was due,
which reads back after H.264 and the network, 40 ms apart, on main and sub streams alike,
while the other channels keep their footage."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import av
import pytest

from tests.support.site import SIM_CACHE, SIM_DURATION_S
from vigil.dvr.cpplus import MAIN_STREAM, SUB_STREAM
from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator
from vigil.dvr.simulator.clockface import HEIGHT, WIDTH, read

PASSWORD = "clock-pass-1"


@pytest.fixture(scope="module")
def sim() -> Iterator[BackgroundSimulator]:
    simulator = DvrSimulator(
        port=0,
        channels=2,
        password=PASSWORD,
        cache_dir=SIM_CACHE / "dvr-sim",
        duration_s=SIM_DURATION_S,
        clock_channels=(2,),
    )
    with BackgroundSimulator(simulator) as running:
        yield running


def _frames(url: str, count: int) -> list[av.VideoFrame]:
    options = {"rtsp_transport": "tcp", "timeout": "5000000"}
    with av.open(url, options=options) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame)
            if len(frames) == count:
                break
    return frames


@pytest.mark.parametrize("stream", [MAIN_STREAM, SUB_STREAM])
def test_each_frame_carries_the_time_it_was_due(sim: BackgroundSimulator, stream: int) -> None:
    frames = _frames(sim.url(2, stream), 30)
    received_ms = time.time() * 1000
    assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
    stamps = [read(f.to_ndarray(format="rgb24")) for f in frames]
    assert None not in stamps
    assert [b - a for a, b in itertools.pairwise(stamps)] == [40] * 29  # type: ignore[operator]
    # The clock is the wall clock: the last frame was due within moments of its arrival.
    assert abs(received_ms - stamps[-1]) < 5_000  # type: ignore[operator]


def test_other_channels_keep_their_footage(sim: BackgroundSimulator) -> None:
    (frame,) = _frames(sim.url(1), 1)
    assert (frame.width, frame.height) == (960, 1080)
