"""H.264 Annex-B bitstream helpers: NAL splitting, access units, SPS parsing.

Only what the simulator needs to serve a pre-encoded stream over RTP and to
describe it in SDP; no decoding. References are to ITU-T H.264 (2021).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vigil.errors import VigilError

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
_VCL_TYPES = frozenset(range(1, 6))
# NAL types that, after a picture's slices, start the next access unit (7.4.1.2.3).
_AU_START_TYPES = frozenset({NAL_SEI, NAL_SPS, NAL_PPS, NAL_AUD, 14, 15, 16, 17, 18})
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


class H264Error(VigilError):
    """An H.264 bitstream is malformed or lacks what the simulator needs."""

    status_code = 422


def nal_type(nal: bytes) -> int:
    """The `nal_unit_type` (5 bits) of a NAL unit given without its start code."""
    return nal[0] & 0x1F


def split_annexb(data: bytes) -> list[bytes]:
    """Split an Annex-B byte stream into NAL units (start codes and trailing zeros removed)."""
    nals: list[bytes] = []
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = data.find(b"\x00\x00\x01", begin)
        end = len(data) if nxt < 0 else nxt
        nal = data[begin:end].rstrip(b"\x00")  # drops a 4-byte start code's leading zero too
        if nal:
            nals.append(nal)
        start = nxt
    return nals


def _first_mb_is_zero(nal: bytes) -> bool:
    # first_mb_in_slice is ue(v); it is 0 exactly when its first bit is 1.
    return len(nal) > 1 and bool(nal[1] & 0x80)


def split_access_units(nals: Iterable[bytes]) -> list[list[bytes]]:
    """Group NAL units into access units (one picture each), dropping AUD NAL units.

    A new access unit starts at an AUD/SPS/PPS/SEI after a picture's slices, or at
    a slice with `first_mb_in_slice == 0` (7.4.1.2.3), so streams with or
    without AUDs split alike.
    """
    units: list[list[bytes]] = []
    current: list[bytes] = []
    has_vcl = False
    for nal in nals:
        kind = nal_type(nal)
        is_vcl = kind in _VCL_TYPES
        starts_au = (kind in _AU_START_TYPES) or (is_vcl and _first_mb_is_zero(nal))
        if starts_au and has_vcl:
            units.append(current)
            current, has_vcl = [], False
        if kind != NAL_AUD:
            current.append(nal)
        has_vcl = has_vcl or is_vcl
    if has_vcl:
        units.append(current)
    return units


def is_keyframe(access_unit: Iterable[bytes]) -> bool:
    """True when the access unit holds an IDR slice."""
    return any(nal_type(nal) == NAL_IDR for nal in access_unit)


def unescape_rbsp(nal: bytes) -> bytes:
    """Remove emulation-prevention bytes (00 00 03 -> 00 00) from a NAL unit's payload."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


class _BitReader:
    """MSB-first bit reader with Exp-Golomb codes (9.1)."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._bits = len(data) * 8
        self._pos = 0

    def u(self, n: int) -> int:
        if self._pos + n > self._bits:
            raise H264Error("SPS ends early: truncated or not an SPS")
        self._pos += n
        return (self._value >> (self._bits - self._pos)) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise H264Error("SPS has an invalid Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


@dataclass(frozen=True, slots=True)
class Sps:
    """What SDP and the tests need from a sequence parameter set. Sizes in pixels."""

    profile_idc: int
    constraint_flags: int
    level_idc: int
    width: int
    height: int

    @property
    def profile_level_id(self) -> str:
        """The SDP `profile-level-id`: profile, constraint flags and level as 6 hex digits."""
        return f"{self.profile_idc:02X}{self.constraint_flags:02X}{self.level_idc:02X}"


def _skip_scaling_list(reader: _BitReader, size: int) -> None:
    last, nxt = 8, 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + reader.se() + 256) % 256
        last = last if nxt == 0 else nxt


def parse_sps(nal: bytes) -> Sps:
    """Parse an SPS NAL unit (without start code) up to the cropped picture size (7.3.2.1.1)."""
    if not nal or nal_type(nal) != NAL_SPS:
        raise H264Error("not an SPS NAL unit")
    r = _BitReader(unescape_rbsp(nal[1:]))
    profile_idc, constraint_flags, level_idc = r.u(8), r.u(8), r.u(8)
    r.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc == 3:
            r.u(1)  # separate_colour_plane_flag
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.u(1)  # qpprime_y_zero_transform_bypass_flag
        if r.u(1):  # seq_scaling_matrix_present_flag
            for i in range(12 if chroma_format_idc == 3 else 8):
                if r.u(1):
                    _skip_scaling_list(r, 16 if i < 6 else 64)
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = r.ue() + 1
    height_map_units = r.ue() + 1
    frame_mbs_only = r.u(1)
    if not frame_mbs_only:
        r.u(1)  # mb_adaptive_frame_field_flag
    r.u(1)  # direct_8x8_inference_flag
    crop = (r.ue(), r.ue(), r.ue(), r.ue()) if r.u(1) else (0, 0, 0, 0)
    # Crop units (Table 6-1 and 7.4.2.1.1) for 4:0:0, 4:2:0, 4:2:2, 4:4:4.
    sub_w, sub_h = {0: (1, 1), 1: (2, 2), 2: (2, 1), 3: (1, 1)}[chroma_format_idc]
    crop_x, crop_y = sub_w, sub_h * (2 - frame_mbs_only)
    width = width_mbs * 16 - crop_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_map_units * 16 - crop_y * (crop[2] + crop[3])
    return Sps(profile_idc, constraint_flags, level_idc, width, height)
