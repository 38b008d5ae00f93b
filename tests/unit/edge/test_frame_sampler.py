from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import av
import pytest

from tests.unit.edge.edge_clips import CLIP_S, FPS, feed_clip
from vigil.clock import FakeClock
from vigil.edge.sampler import FrameSampler
from vigil.model.messages import Frame


def gaps_s(frames: list[Frame]) -> list[float]:
    return [(b.timestamp - a.timestamp).total_seconds() for a, b in itertools.pairwise(frames)]


def test_one_frame_per_second_from_keyframes_only(
    clips: dict[str, Path], fake_clock: FakeClock
) -> None:
    frames: list[Frame] = []
    sampler = FrameSampler("cam-1", on_frame=frames.append)
    feed_clip(clips["gop1"], clock=fake_clock, sampler=sampler)

    assert len(frames) == CLIP_S
    assert sampler.frames_decoded == CLIP_S  # one decode per GOP: keyframes only
    assert not sampler.decode_all
    assert [f.seq for f in frames] == list(range(1, CLIP_S + 1))
    assert gaps_s(frames) == [1.0] * (CLIP_S - 1)
    assert frames[0].timestamp == fake_clock.now()
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype.name == "uint8"
    assert (frames[0].camera_id, frames[0].width, frames[0].height) == ("cam-1", 320, 240)


def test_long_gop_switches_to_decoding_all_frames(
    clips: dict[str, Path], fake_clock: FakeClock
) -> None:
    frames: list[Frame] = []
    sampler = FrameSampler("cam-1", on_frame=frames.append)
    feed_clip(clips["gop3"], clock=fake_clock, sampler=sampler)

    assert sampler.decode_all and sampler.gop_s == pytest.approx(3.0)
    # The first GOP is sampled from keyframes until a second keyframe reveals the 3 s GOP.
    assert CLIP_S - 3 <= len(frames) <= CLIP_S
    assert all(0.9 <= g <= 1.1 for g in gaps_s(frames[1:]))
    assert sampler.frames_decoded > 25 * FPS


def test_interval_of_two_seconds(clips: dict[str, Path], fake_clock: FakeClock) -> None:
    frames: list[Frame] = []
    sampler = FrameSampler("cam-1", on_frame=frames.append, frame_interval_s=2.0)
    feed_clip(clips["gop1"], clock=fake_clock, sampler=sampler)
    assert len(frames) == 18
    assert set(gaps_s(frames)) == {2.0}


def test_corrupt_keyframe_is_counted_and_skipped(
    clips: dict[str, Path], fake_clock: FakeClock
) -> None:
    def damage(i: int, packet: Any) -> Any:
        if i != 5 * FPS:  # the keyframe at 5 s
            return packet
        data = bytearray(bytes(packet))
        data[30:200] = bytes(170)
        broken = av.Packet(bytes(data))
        broken.pts, broken.dts, broken.is_keyframe = packet.pts, packet.dts, True
        broken.time_base = packet.time_base
        return broken

    frames: list[Frame] = []
    sampler = FrameSampler("cam-1", on_frame=frames.append)
    feed_clip(clips["gop1"], clock=fake_clock, sampler=sampler, alter=damage)

    assert sampler.corrupt_packets == 1
    assert len(frames) == CLIP_S - 1
    assert 2.0 in gaps_s(frames)  # the hole where the damaged keyframe was


def test_on_frame_exceptions_are_contained(clips: dict[str, Path], fake_clock: FakeClock) -> None:
    calls: list[int] = []

    def flaky(frame: Frame) -> None:
        calls.append(frame.seq)
        raise RuntimeError("bus full")

    sampler = FrameSampler("cam-1", on_frame=flaky)
    feed_clip(clips["gop1"], clock=fake_clock, sampler=sampler)
    assert calls == list(range(1, CLIP_S + 1))
