"""A process killed mid-segment: the fragmented MP4 it leaves is repaired and indexed at the
next start, or dropped when nothing in it plays; what was lost shows as a gap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.edge.edge_clips import FPS, feed_clip, inspect_segment
from vigil.clock import FakeClock
from vigil.edge.recorder import SegmentRecorder
from vigil.edge.salvage import leftover_segments, salvage_segment
from vigil.model.messages import SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET


def _killed_mid_segment(clip: Path, clock: FakeClock, staging: Path, packets: int) -> Path:
    """Feed `packets` packets, then copy the open segment's file as a kill would leave it
    (whatever FFmpeg had written so far) and return the copy's path in a fresh staging."""
    segments: list[SegmentInfo] = []
    rec = SegmentRecorder(
        "cam-1",
        store=FsObjectStore(staging.parent / "unused-store"),
        staging_dir=staging.parent / "live-staging",
        on_segment=segments.append,
        segment_s=60,  # one long segment: the kill lands inside it
    )
    feed_clip(clip, clock=clock, recorder=rec, alter=lambda i, p: p if i < packets else None,
              finish=False)  # fmt: skip
    [live] = list((staging.parent / "live-staging").iterdir())
    staging.mkdir()
    shutil.copy(live, staging / live.name)
    rec.finish()
    return staging / live.name


@pytest.mark.parametrize("packets", [int(12.5 * FPS), 20 * FPS + 3])
def test_a_segment_cut_by_a_kill_is_repaired_stored_and_indexed(
    packets: int, clips: dict[str, Path], fake_clock: FakeClock, tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    left = _killed_mid_segment(clips["gop1"], fake_clock, staging, packets)
    store = FsObjectStore(tmp_path / "store")
    indexed: list[SegmentInfo] = []
    rec = SegmentRecorder("cam-1", store=store, staging_dir=staging, on_segment=indexed.append)

    [info] = rec.recover_staging()

    assert indexed == [info] and not left.exists()
    assert info.start == fake_clock.now()
    # GOPs are 1 s: at most the GOP being written (plus FFmpeg's buffer) is lost
    assert packets / FPS - 3 <= info.duration_s <= packets / FPS
    path = store.local_path(BUCKET, info.key)
    assert path is not None
    played = inspect_segment(path)  # decodes every frame: it plays to the end
    assert played.first_is_key and abs(played.duration_s - info.duration_s) < 0.05
    assert played.frames == round(info.duration_s * FPS)


def test_a_leftover_with_nothing_playable_is_dropped(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    junk = staging / "cam-1-20260301T235955.000000Z.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    indexed: list[SegmentInfo] = []
    rec = SegmentRecorder(
        "cam-1", store=FsObjectStore(tmp_path / "s"), staging_dir=staging, on_segment=indexed.append
    )
    assert rec.recover_staging() == [] and indexed == []
    assert not junk.exists() and rec.errors == 1


def test_only_this_cameras_leftovers_oldest_first(tmp_path: Path) -> None:
    for name in (
        "cam-1-20260301T235959.000000Z.mp4",
        "cam-1-20260301T235949.000000Z.mp4",
        "cam-10-20260301T235940.000000Z.mp4",
        "cam-1-notastamp.mp4",
    ):
        (tmp_path / name).write_bytes(b"")
    names = [p.name for p, _ in leftover_segments(tmp_path, "cam-1")]
    assert names == ["cam-1-20260301T235949.000000Z.mp4", "cam-1-20260301T235959.000000Z.mp4"]
    assert list(leftover_segments(tmp_path / "missing", "cam-1")) == []


def test_salvage_of_an_empty_file_removes_it(tmp_path: Path) -> None:
    empty = tmp_path / "cam-1-20260301T235949.000000Z.mp4"
    empty.write_bytes(b"")
    assert salvage_segment(empty) is None and not empty.exists()
