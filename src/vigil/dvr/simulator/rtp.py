"""RTP for H.264 (RFC 6184, packetization-mode 1) over RTSP interleaved TCP (RFC 2326 10.12).

Packetising: a NAL unit that fits in `max_payload` bytes goes as a single NAL
unit packet; a larger one is cut into FU-A fragments (RFC 6184 5.8). An access
unit's packets share its 90 kHz timestamp and the last one carries the marker.
`depacketize` is the inverse, used by tests and tools.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vigil.errors import VigilError

RTP_VERSION = 2
H264_PAYLOAD_TYPE = 96
H264_CLOCK_RATE = 90_000
DEFAULT_MAX_PAYLOAD = 1400  # bytes; fits a 1500-byte MTU with IP/UDP/RTP headers
RTP_HEADER_SIZE = 12
FU_A = 28
STAP_A = 24
_FU_START = 0x80
_FU_END = 0x40

_RTP_HEADER = struct.Struct("!BBHII")
# `$`, channel, length (RFC 2326 10.12) followed by the RTP header.
_INTERLEAVED_RTP_HEADER = struct.Struct("!cBHBBHII")


class RtpError(VigilError):
    """An RTP packet or payload is malformed."""

    status_code = 422


def packetize_nal(nal: bytes, max_payload: int = DEFAULT_MAX_PAYLOAD) -> list[bytes]:
    """RTP payloads for one NAL unit (without start code): itself, or FU-A fragments."""
    if not nal:
        raise RtpError("empty NAL unit")
    if max_payload < 3:
        raise RtpError(f"max_payload {max_payload} is too small for FU-A (needs >= 3 bytes)")
    if len(nal) <= max_payload:
        return [nal]
    header = nal[0]
    indicator = bytes([(header & 0xE0) | FU_A])  # F and NRI from the NAL, type 28
    kind = header & 0x1F
    body = memoryview(nal)[1:]
    chunk = max_payload - 2
    payloads: list[bytes] = []
    for offset in range(0, len(body), chunk):
        flags = 0
        if offset == 0:
            flags |= _FU_START
        if offset + chunk >= len(body):
            flags |= _FU_END
        payloads.append(indicator + bytes([flags | kind]) + body[offset : offset + chunk])
    return payloads


def packetize_access_unit(
    nals: Iterable[bytes], max_payload: int = DEFAULT_MAX_PAYLOAD
) -> list[bytes]:
    """RTP payloads, in order, for all NAL units of one access unit."""
    return [p for nal in nals for p in packetize_nal(nal, max_payload)]


def rtp_header(
    *, seq: int, timestamp: int, ssrc: int, marker: bool, payload_type: int = H264_PAYLOAD_TYPE
) -> bytes:
    """A 12-byte RTP header (RFC 3550 5.1): version 2, no padding, extension or CSRC."""
    return _RTP_HEADER.pack(
        RTP_VERSION << 6,
        (int(marker) << 7) | payload_type,
        seq & 0xFFFF,
        timestamp & 0xFFFFFFFF,
        ssrc & 0xFFFFFFFF,
    )


def interleave(channel: int, packet: bytes) -> bytes:
    """Frame one RTP/RTCP packet for RTSP interleaved TCP: `$`, channel, 16-bit length."""
    if len(packet) > 0xFFFF:
        raise RtpError(f"packet of {len(packet)} bytes does not fit interleaved framing")
    return struct.pack("!cBH", b"$", channel, len(packet)) + packet


def wire_access_unit(
    payloads: Sequence[bytes],
    *,
    seq: int,
    timestamp: int,
    ssrc: int,
    channel: int,
    payload_type: int = H264_PAYLOAD_TYPE,
) -> bytes:
    """All interleaved RTP packets of one access unit as one byte string.

    Sequence numbers run from `seq` (mod 2**16); the marker is set on the last
    packet. This is the per-frame hot path of the simulator: one pack per packet
    and one join.
    """
    last = len(payloads) - 1
    ts = timestamp & 0xFFFFFFFF
    parts: list[bytes] = []
    for i, payload in enumerate(payloads):
        parts.append(
            _INTERLEAVED_RTP_HEADER.pack(
                b"$",
                channel,
                RTP_HEADER_SIZE + len(payload),
                RTP_VERSION << 6,
                ((i == last) << 7) | payload_type,
                (seq + i) & 0xFFFF,
                ts,
                ssrc,
            )
        )
        parts.append(payload)
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """A parsed RTP packet (RFC 3550); `payload` excludes padding and extensions."""

    payload_type: int
    marker: bool
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_rtp(packet: bytes) -> RtpPacket:
    """Parse one RTP packet."""
    if len(packet) < RTP_HEADER_SIZE:
        raise RtpError(f"RTP packet of {len(packet)} bytes is shorter than its header")
    b0, b1, seq, ts, ssrc = _RTP_HEADER.unpack_from(packet)
    if b0 >> 6 != RTP_VERSION:
        raise RtpError(f"RTP version {b0 >> 6}, expected 2")
    start = RTP_HEADER_SIZE + 4 * (b0 & 0x0F)
    end = len(packet)
    if b0 & 0x10:  # header extension
        (words,) = struct.unpack_from("!H", packet, start + 2)
        start += 4 + 4 * words
    if b0 & 0x20:  # padding
        end -= packet[-1]
    if start > end:
        raise RtpError("RTP header, extension and padding exceed the packet")
    return RtpPacket(b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, packet[start:end])


def depacketize(payloads: Iterable[bytes]) -> list[bytes]:
    """NAL units from H.264 RTP payloads (single NAL, STAP-A, FU-A), in order.

    Raises `RtpError` on a fragment without its start, an unfinished fragment or
    an unsupported aggregation type.
    """
    nals: list[bytes] = []
    fragment: bytearray | None = None
    for payload in payloads:
        if not payload:
            raise RtpError("empty H.264 RTP payload")
        kind = payload[0] & 0x1F
        if kind == FU_A:
            if len(payload) < 2:
                raise RtpError("FU-A payload without FU header")
            fu_header = payload[1]
            if fu_header & _FU_START:
                if fragment is not None:
                    raise RtpError("FU-A start before the previous fragment ended")
                fragment = bytearray([(payload[0] & 0xE0) | (fu_header & 0x1F)])
            elif fragment is None:
                raise RtpError("FU-A fragment without a start fragment")
            fragment += payload[2:]
            if fu_header & _FU_END:
                nals.append(bytes(fragment))
                fragment = None
            continue
        if fragment is not None:
            raise RtpError("FU-A fragment interrupted by another packet")
        if kind == STAP_A:
            pos = 1
            while pos + 2 <= len(payload):
                (size,) = struct.unpack_from("!H", payload, pos)
                nals.append(payload[pos + 2 : pos + 2 + size])
                pos += 2 + size
        elif 1 <= kind <= 23:
            nals.append(payload)
        else:
            raise RtpError(f"unsupported H.264 RTP payload type {kind}")
    if fragment is not None:
        raise RtpError("FU-A fragment without an end fragment")
    return nals
