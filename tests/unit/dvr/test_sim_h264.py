"""Annex-B splitting, access units and SPS parsing."""

from __future__ import annotations

import base64
import fractions

import av
import numpy as np
import pytest

from vigil.dvr.simulator.h264 import (
    H264Error,
    is_keyframe,
    nal_type,
    parse_sps,
    split_access_units,
    split_annexb,
    unescape_rbsp,
)


def test_split_annexb_handles_3_and_4_byte_start_codes() -> None:
    data = b"\x00\x00\x00\x01\x67\xaa\x00\x00\x01\x68\xbb\x00\x00\x00\x00\x01\x65\xcc"
    assert split_annexb(data) == [b"\x67\xaa", b"\x68\xbb", b"\x65\xcc"]
    assert split_annexb(b"no start code") == []


def test_access_units_split_on_aud_and_first_mb() -> None:
    aud, sps, pps, idr = b"\x09\xf0", b"\x67\x4d", b"\x68\xee", b"\x65\x88\x01"
    p1, p2 = b"\x41\x9a\x01", b"\x41\x9a\x02"  # first_mb_in_slice == 0 (MSB set)
    second_slice = b"\x41\x40\x01"  # first_mb_in_slice != 0: same picture
    with_auds = [aud, sps, pps, idr, aud, p1, second_slice, aud, p2]
    without_auds = [sps, pps, idr, p1, second_slice, p2]
    expected = [[sps, pps, idr], [p1, second_slice], [p2]]
    assert split_access_units(with_auds) == expected
    assert split_access_units(without_auds) == expected
    assert [is_keyframe(au) for au in expected] == [True, False, False]


def test_unescape_rbsp() -> None:
    assert unescape_rbsp(b"\x00\x00\x03\x01\x00\x00\x03\x00") == b"\x00\x00\x01\x00\x00\x00"


# SPS of a 1920x1080 High profile stream (cropped from 1088), as seen from real cameras.
SPS_1080P_HIGH = base64.b64decode("Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY")


def test_parse_sps_of_a_high_profile_1080p_stream() -> None:
    sps = parse_sps(SPS_1080P_HIGH)
    assert (sps.width, sps.height) == (1920, 1080)
    assert sps.profile_level_id == "640028"


def _encode_sps(width: int, height: int, profile: str) -> bytes:
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = fractions.Fraction(1, 25)
    ctx.options = {"preset": "veryfast", "profile": profile}
    frame = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), format="rgb24")
    data = b"".join(bytes(p) for p in ctx.encode(frame.reformat(format="yuv420p")))
    data += b"".join(bytes(p) for p in ctx.encode(None))
    return next(n for n in split_annexb(data) if nal_type(n) == 7)


@pytest.mark.parametrize(
    ("width", "height", "profile", "profile_idc"),
    [(960, 1080, "main", 77), (352, 288, "baseline", 66), (642, 362, "high", 100)],
)
def test_parse_sps_of_libx264_output(
    width: int, height: int, profile: str, profile_idc: int
) -> None:
    sps = parse_sps(_encode_sps(width, height, profile))
    assert (sps.width, sps.height, sps.profile_idc) == (width, height, profile_idc)


def test_parse_sps_refuses_other_nals() -> None:
    with pytest.raises(H264Error, match="not an SPS"):
        parse_sps(b"\x68\xee")
    with pytest.raises(H264Error, match="ends early"):
        parse_sps(b"\x67\x4d\x00")
