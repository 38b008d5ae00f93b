"""Content preparation: frame-rate resampling, GOP-aligned encoding, the cache."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from vigil.dvr.simulator.content import (
    ContentSpec,
    EncodeCancelledError,
    default_cache_dir,
    load_content,
    output_frame_count,
    prepare_content,
    resample,
)
from vigil.dvr.simulator.h264 import H264Error, is_keyframe
from vigil.dvr.simulator.sources import (
    VTEST_PATH,
    PhotoCompositeSource,
    SyntheticSource,
    VideoFileSource,
    default_source,
)

TINY = ContentSpec(64, 72, bitrate_bps=100_000, preset="ultrafast", profile="baseline")
TINY_SUB = ContentSpec(32, 32, bitrate_bps=50_000, preset="ultrafast", profile="baseline")


def numbered(n: int) -> list[np.ndarray]:
    return [np.full((9, 16, 3), i, np.uint8) for i in range(n)]


def test_resample_10_to_25_fps_repeats_frames_3_2_3_2() -> None:
    out = list(resample(iter(numbered(4)), 10, 25, 10))
    assert [int(f[0, 0, 0]) for f, _ in out] == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert [i for i, (_, new) in enumerate(out) if new] == [0, 3, 5, 8]


def test_resample_drops_frames_from_faster_sources_and_holds_the_last() -> None:
    assert [int(f[0, 0, 0]) for f, _ in resample(iter(numbered(5)), 50, 25, 4)] == [0, 2, 4, 4]


def test_resample_of_nothing_fails() -> None:
    with pytest.raises(H264Error, match="no frames"):
        list(resample(iter([]), 25, 25, 1))


@pytest.mark.parametrize(
    ("source_s", "wanted_s", "frames"),
    [(79.5, None, 1975), (79.5, 12, 300), (79.5, 4.5, 100), (3.0, 12, 75), (79.5, 1.0, 25)],
)
def test_output_frame_count_is_whole_gops(
    source_s: float, wanted_s: float | None, frames: int
) -> None:
    assert output_frame_count(source_s, ContentSpec(960, 1080), wanted_s) == frames


def test_output_frame_count_refuses_less_than_a_gop() -> None:
    with pytest.raises(H264Error, match="shorter than one GOP"):
        output_frame_count(79.5, ContentSpec(960, 1080), 0.5)


def test_prepare_encodes_once_then_uses_the_cache(tmp_path: Path) -> None:
    source = SyntheticSource(duration_s=2.0)
    first = prepare_content((TINY, TINY_SUB), cache_dir=tmp_path, source=source)
    stamps = [p.stat().st_mtime_ns for p in first]
    again = prepare_content((TINY, TINY_SUB), cache_dir=tmp_path, source=source)
    assert again == first and [p.stat().st_mtime_ns for p in again] == stamps
    other = prepare_content(
        (ContentSpec(64, 72, bitrate_bps=90_000, preset="ultrafast"),),
        cache_dir=tmp_path,
        source=source,
    )
    assert other[0] not in first  # a parameter change means a new file
    shorter = prepare_content((TINY,), cache_dir=tmp_path, source=source, duration_s=1.0)
    assert shorter[0] not in first
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_prepared_content_is_a_loopable_gop_aligned_stream(tmp_path: Path) -> None:
    (path,) = prepare_content((TINY,), cache_dir=tmp_path, source=SyntheticSource(duration_s=2.0))
    content = load_content(path, TINY)
    assert (content.width, content.height, content.frame_count) == (64, 72, 50)
    assert content.duration_s == 2.0
    assert [i for i, f in enumerate(content.frames) if is_keyframe(f)] == [0, 25]
    assert content.sps_info.width == 64
    # every GOP carries SPS and PPS in-band, so a client can join at any keyframe
    assert all(f[0][0] & 0x1F == 7 for i, f in enumerate(content.frames) if i % 25 == 0)


def test_load_refuses_a_stream_that_is_not_gop_aligned(tmp_path: Path) -> None:
    (path,) = prepare_content((TINY,), cache_dir=tmp_path, source=SyntheticSource(duration_s=2.0))
    with pytest.raises(H264Error, match="whole number of GOPs"):
        load_content(path, ContentSpec(64, 72, gop=30))
    with pytest.raises(H264Error, match="expected 96x72"):
        load_content(path, ContentSpec(96, 72))


def test_cancel_stops_the_encode_and_leaves_no_files(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(EncodeCancelledError):
        prepare_content((TINY,), cache_dir=tmp_path, source=SyntheticSource(), cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir_honours_vigil_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("VIGIL_CACHE_DIR")
    assert default_cache_dir().parts[-3:] == (".cache", "vigil", "dvr-sim")


def test_synthetic_source_frames_move() -> None:
    frames = SyntheticSource(duration_s=1.0).frames()
    first, *_, last = list(frames)
    assert first.shape == (432, 768, 3) and first.dtype == np.uint8
    assert np.abs(first.astype(int) - last).mean() > 0.5


def test_missing_video_falls_back(tmp_path: Path) -> None:
    source = default_source(tmp_path / "absent.avi")
    assert isinstance(source, PhotoCompositeSource | SyntheticSource)


def test_vtest_is_the_default_source() -> None:
    assert VTEST_PATH.is_file(), "install Debian opencv-doc (make test does)"
    source = default_source()
    assert isinstance(source, VideoFileSource)
    assert (source.fps, round(source.duration_s, 1)) == (10.0, 79.5)
    assert next(iter(source.frames())).shape == (576, 768, 3)
