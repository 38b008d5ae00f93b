from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.edge.edge_clips import FPS, clip_packets, feed_clip, inspect_segment
from vigil.clock import FakeClock
from vigil.edge.recorder import SegmentRecorder
from vigil.errors import StorageError
from vigil.model.messages import SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET, segment_key


def recorder(store: Any, tmp_path: Path, segments: list[SegmentInfo], **kw: Any) -> SegmentRecorder:
    return SegmentRecorder(
        "cam-1", store=store, staging_dir=tmp_path / "staging", on_segment=segments.append, **kw
    )


def offset_s(segment: SegmentInfo, clock: FakeClock) -> int:
    """Whole seconds from the clip's start (the fake clock does not move) to the segment's."""
    return round((segment.start - clock.now()).total_seconds())


def stored_files(store: FsObjectStore, segments: list[SegmentInfo]) -> list[Path]:
    paths = [store.local_path(BUCKET, s.key) for s in segments]
    assert all(p is not None for p in paths)
    return [p for p in paths if p is not None]


def test_segment_key_is_utc_hour_path() -> None:
    start = datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=UTC)
    assert segment_key("cam-1", start) == ("cam-1/2026/03/01/23/cam-1-20260301T235958.123456Z.mp4")
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo("Asia/Kolkata"))
    assert segment_key("cam-1", local) == segment_key("cam-1", start)


def test_ten_second_segments_are_playable_and_lose_nothing(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    fed = feed_clip(clips["gop1"], clock=fake_clock, recorder=rec)

    assert [round(s.duration_s) for s in segments] == [10, 10, 10, 5]
    files = [inspect_segment(p) for p in stored_files(tmp_store, segments)]
    for seg, f in zip(segments[:-1], files, strict=False):
        assert 9.0 <= f.duration_s <= 11.0
        assert abs(seg.duration_s - f.duration_s) < 0.05
    assert all(f.first_is_key for f in files)
    assert sum(f.frames for f in files) == fed == 35 * FPS
    # keys from the wall clock of each segment's first packet, crossing midnight
    start = fake_clock.now()
    assert [s.start for s in segments] == [start + timedelta(seconds=10 * i) for i in range(4)]
    assert segments[0].key == "cam-1/2026/03/01/23/cam-1-20260301T235955.000000Z.mp4"
    assert segments[1].key == "cam-1/2026/03/02/00/cam-1-20260302T000005.000000Z.mp4"
    assert [s.keyframe_count for s in segments] == [10, 10, 10, 5]
    assert all(s.end == n.start for s, n in itertools.pairwise(segments))
    for seg, path in zip(segments, stored_files(tmp_store, segments), strict=True):
        assert seg.size_bytes == path.stat().st_size
    assert not list((tmp_path / "staging").iterdir())  # moved into the store
    assert rec.segments_stored == 4 and rec.errors == 0


def test_gop_longer_than_segment_cuts_on_the_next_keyframe(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    segments: list[SegmentInfo] = []
    fed = feed_clip(
        clips["gop15"], clock=fake_clock, recorder=recorder(tmp_store, tmp_path, segments)
    )

    assert [round(s.duration_s) for s in segments] == [15, 15, 5]
    files = [inspect_segment(p) for p in stored_files(tmp_store, segments)]
    assert all(f.first_is_key for f in files)
    assert sum(f.frames for f in files) == fed


def test_packets_before_the_first_keyframe_are_skipped(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    """A connection that starts mid-GOP: the leading delta frames cannot be decoded."""
    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    fed = feed_clip(
        clips["gop1"], clock=fake_clock, recorder=rec, alter=lambda i, p: p if i >= 10 else None
    )
    files = [inspect_segment(p) for p in stored_files(tmp_store, segments)]
    assert rec.packets_skipped == FPS - 10
    assert sum(f.frames for f in files) == fed - (FPS - 10)
    assert files[0].first_is_key


def test_non_monotonic_dts_is_repaired_and_counted(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    """Duplicate and reordered DTS are nudged; a clock reset (big step back) re-bases."""
    tick = 512  # one frame in the clip's 1/12800 time base
    reset_from = 600

    def glitch(i: int, packet: Any) -> Any:
        if i in (50, 130):  # 50: same DTS as the packet before; 130: before the one before
            back = tick if i == 50 else 2 * tick
            packet.dts -= back
            packet.pts -= back
        if i >= reset_from:  # camera clock reset: time restarts near zero
            packet.dts -= reset_from * tick - 7
            packet.pts -= reset_from * tick - 7
        return packet

    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    fed = feed_clip(clips["gop1"], clock=fake_clock, recorder=rec, alter=glitch)

    assert rec.timestamps_fixed == 3  # 50, 130 and the reset at 600
    files = [inspect_segment(p) for p in stored_files(tmp_store, segments)]
    assert all(f.first_is_key for f in files)
    assert sum(f.frames for f in files) == fed
    assert all(9.0 <= f.duration_s <= 11.0 for f in files[:-1])


def test_finish_closes_a_short_playable_segment(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    feed_clip(
        clips["gop1"], clock=fake_clock, recorder=rec, alter=lambda i, p: p if i < 87 else None
    )
    [only] = segments
    f = inspect_segment(stored_files(tmp_store, segments)[0])
    assert f.frames == 87 and f.first_is_key
    assert only.duration_s == pytest.approx(87 / FPS)
    assert rec.finish() is None  # nothing open any more


def test_write_error_loses_one_segment_and_recording_goes_on(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    """The second segment's file cannot be created (its name leads to a missing directory)."""
    staging = tmp_path / "staging"
    staging.mkdir()
    second = segment_key("cam-1", fake_clock.now() + timedelta(seconds=10)).rsplit("/", 1)[1]
    (staging / second).symlink_to(tmp_path / "gone" / "segment.mp4")

    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    feed_clip(clips["gop1"], clock=fake_clock, recorder=rec)

    assert rec.errors == 1
    assert [offset_s(s, fake_clock) for s in segments] == [0, 20, 30]
    assert all(inspect_segment(p).first_is_key for p in stored_files(tmp_store, segments))


def test_a_clock_step_back_never_overwrites_a_segment(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    segments: list[SegmentInfo] = []
    for _ in range(2):  # two connections whose first packets get the same wall time
        rec = recorder(tmp_store, tmp_path, segments)
        feed_clip(
            clips["gop1"], clock=fake_clock, recorder=rec, alter=lambda i, p: p if i < 50 else None
        )
    assert len({s.key for s in segments}) == 2
    assert len(list(tmp_store.list(BUCKET))) == 2


class RefusingStore(FsObjectStore):
    """A real filesystem store that refuses the first `refuse` writes (a full or absent disk)."""

    def __init__(self, root: Path, refuse: int) -> None:
        super().__init__(root)
        self.refuse = refuse

    def put_file(self, bucket: str, key: str, path: Path, *, move: bool = False) -> None:
        if self.refuse > 0:
            self.refuse -= 1
            raise StorageError(f"cannot store {bucket}/{key}: No space left on device")
        super().put_file(bucket, key, path, move=move)


def test_store_refusal_keeps_segments_in_staging_and_retries_in_order(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_path: Path
) -> None:
    store = RefusingStore(tmp_path / "store", refuse=3)  # 1st segment, then 1st again, 2nd
    segments: list[SegmentInfo] = []
    rec = recorder(store, tmp_path, segments)
    feed_clip(clips["gop1"], clock=fake_clock, recorder=rec)

    assert rec.errors == 2 and rec.pending == 0
    assert [round((s.start - fake_clock.now()).total_seconds()) for s in segments] == [
        0,
        10,
        20,
        30,
    ]
    assert all(inspect_segment(p).first_is_key for p in stored_files(store, segments))


def test_on_segment_exception_does_not_stop_recording(
    clips: dict[str, Path], fake_clock: FakeClock, tmp_store: FsObjectStore, tmp_path: Path
) -> None:
    def explode(_: SegmentInfo) -> None:
        raise RuntimeError("subscriber bug")

    rec = SegmentRecorder(
        "cam-1", store=tmp_store, staging_dir=tmp_path / "staging", on_segment=explode
    )
    feed_clip(clips["gop1"], clock=fake_clock, recorder=rec)
    assert rec.segments_stored == 4
    assert len(list(tmp_store.list(BUCKET))) == 4


def test_clip_packets_helper_counts_every_frame(clips: dict[str, Path]) -> None:
    assert sum(1 for _ in clip_packets(clips["gop1"])) == 35 * FPS


@pytest.mark.parametrize("leap_s", [3600, 2**32 / 90_000])  # clock set ahead; a 32-bit wrap
def test_a_timestamp_leap_forward_is_rebased_not_recorded_as_hours(
    leap_s: float,
    clips: dict[str, Path],
    fake_clock: FakeClock,
    tmp_store: FsObjectStore,
    tmp_path: Path,
) -> None:
    leap = round(leap_s * 12800)  # the clip's time base is 1/12800

    def jump(i: int, packet: Any) -> Any:
        if i >= 230:  # mid-segment, between keyframes
            packet.dts += leap
            packet.pts += leap
        return packet

    segments: list[SegmentInfo] = []
    rec = recorder(tmp_store, tmp_path, segments)
    fed = feed_clip(clips["gop1"], clock=fake_clock, recorder=rec, alter=jump)

    assert rec.timestamps_fixed == 1
    files = [inspect_segment(p) for p in stored_files(tmp_store, segments)]
    assert sum(f.frames for f in files) == fed
    assert all(9.0 <= f.duration_s <= 11.0 for f in files[:-1])
    assert all(9.0 <= s.duration_s <= 11.0 for s in segments[:-1])
