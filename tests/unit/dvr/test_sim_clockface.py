"""The clock channel: the wall clock burnt into each frame survives H.264 and reads back."""

from __future__ import annotations

import itertools

import av
import pytest

from vigil.dvr.simulator.clockface import ClockProgram, draw, read
from vigil.dvr.simulator.live import LiveClock


def test_burnt_in_time_survives_encoding_and_decoding() -> None:
    clock = LiveClock(25, 25, origin_s=0.0)
    program = ClockProgram(clock)
    decoder = av.CodecContext.create("h264", "r")
    first = clock.next_keyframe()
    read_back: list[int | None] = []
    for frame in range(first, first + 30):
        nals = program._encode(frame)
        annexb = b"".join(b"\x00\x00\x00\x01" + n for n in nals)
        for packet in decoder.parse(annexb):
            for picture in decoder.decode(packet):
                read_back.append(read(picture.to_ndarray(format="rgb24")))
    assert len(read_back) >= 25
    assert all(ms is not None for ms in read_back)
    steps = [b - a for a, b in itertools.pairwise(read_back)]  # type: ignore[operator]
    assert all(step == 40 for step in steps)  # 25 fps: 40 ms apart, as scheduled


@pytest.mark.parametrize("ms", [0, 1, 1_796_000_000_123, 2**44 - 1])
def test_the_pattern_reads_back_and_a_flipped_bit_is_caught(ms: int) -> None:
    img = draw(ms, 7)
    assert read(img) == ms
    img[8, 8] = 255 - img[8, 8]  # the first bit's block, at its centre
    img[5:11, 5:11] = 255 - img[5:11, 5:11]
    assert read(img) is None
