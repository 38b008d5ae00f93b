"""RFC 6184 packetisation and RFC 2326 interleaving, byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.dvr.simulator.rtp import (
    RtpError,
    depacketize,
    interleave,
    packetize_access_unit,
    packetize_nal,
    parse_rtp,
    rtp_header,
    wire_access_unit,
)


def test_small_nal_is_a_single_nal_unit_packet() -> None:
    nal = bytes([0x67, 1, 2, 3])
    assert packetize_nal(nal, max_payload=4) == [nal]


def test_large_nal_becomes_fu_a_fragments_byte_exact() -> None:
    # IDR slice, NRI 3: header 0x65. Body 10 bytes, 4 bytes of body per fragment.
    nal = bytes([0x65]) + bytes(range(10))
    payloads = packetize_nal(nal, max_payload=6)
    assert payloads == [
        bytes([0x7C, 0x85, 0, 1, 2, 3]),  # FU indicator: F=0 NRI=3 type 28; S=1, type 5
        bytes([0x7C, 0x05, 4, 5, 6, 7]),  # middle: no S, no E
        bytes([0x7C, 0x45, 8, 9]),  # E=1
    ]


def test_fu_a_keeps_nri_and_forbidden_bit_from_the_nal() -> None:
    nal = bytes([0x21]) + b"x" * 20  # non-IDR slice, NRI 1
    payloads = packetize_nal(nal, max_payload=8)
    assert {p[0] for p in payloads} == {0x3C}  # NRI 1 -> 0x20 | 28
    assert [p[1] & 0xC0 for p in payloads] == [0x80] + [0x00] * (len(payloads) - 2) + [0x40]
    assert all(p[1] & 0x1F == 1 for p in payloads)


def test_nal_exactly_max_payload_is_not_fragmented() -> None:
    nal = bytes([0x41]) + b"y" * 1399
    assert packetize_nal(nal) == [nal]
    assert len(packetize_nal(nal + b"z")) == 2


def test_bad_input_is_refused() -> None:
    with pytest.raises(RtpError, match="empty NAL"):
        packetize_nal(b"")
    with pytest.raises(RtpError, match="too small"):
        packetize_nal(b"\x65abc", max_payload=2)


def test_rtp_header_fields() -> None:
    header = rtp_header(seq=0x1_0001, timestamp=0x1_0000_0002, ssrc=0xDEADBEEF, marker=True)
    assert header == bytes([0x80, 0xE0, 0x00, 0x01, 0, 0, 0, 2, 0xDE, 0xAD, 0xBE, 0xEF])
    parsed = parse_rtp(header + b"\x41")
    assert (parsed.payload_type, parsed.marker, parsed.seq, parsed.timestamp) == (96, True, 1, 2)
    assert parsed.ssrc == 0xDEADBEEF and parsed.payload == b"\x41"


def test_interleave_framing() -> None:
    assert interleave(3, b"abc") == b"$\x03\x00\x03abc"
    with pytest.raises(RtpError):
        interleave(0, b"x" * 70_000)


def test_wire_access_unit_sequence_timestamp_and_marker() -> None:
    payloads = [b"\x67sps", b"\x68pps", b"\x65idr"]
    wire = wire_access_unit(payloads, seq=0xFFFF, timestamp=90_000, ssrc=7, channel=2)
    packets, pos = [], 0
    while pos < len(wire):
        assert wire[pos : pos + 2] == b"$\x02"
        size = int.from_bytes(wire[pos + 2 : pos + 4], "big")
        packets.append(parse_rtp(wire[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    assert [p.seq for p in packets] == [0xFFFF, 0, 1]  # wraps at 2**16
    assert {p.timestamp for p in packets} == {90_000}
    assert [p.marker for p in packets] == [False, False, True]
    assert [p.payload for p in packets] == payloads


def test_parse_rtp_skips_csrc_extension_and_padding() -> None:
    header = bytes([0xA1, 0x60, 0, 5, 0, 0, 0, 9, 0, 0, 0, 1])  # padding, 1 CSRC
    csrc = b"\x00\x00\x00\x02"
    packet = header + csrc + b"\x41\x42" + b"\x00\x02"
    assert parse_rtp(packet).payload == b"\x41\x42"
    with pytest.raises(RtpError):
        parse_rtp(b"\x80\x60")


def test_depacketize_stap_a() -> None:
    stap = b"\x18" + b"\x00\x02\x67\x01" + b"\x00\x02\x68\x02"
    assert depacketize([stap]) == [b"\x67\x01", b"\x68\x02"]


@pytest.mark.parametrize(
    ("payloads", "message"),
    [
        ([bytes([0x7C, 0x05, 1])], "without a start"),
        ([bytes([0x7C, 0x85, 1])], "without an end"),
        ([bytes([0x7C, 0x85, 1]), b"\x41x"], "interrupted"),
        ([bytes([0x7C, 0x85, 1]), bytes([0x7C, 0x85, 1])], "before the previous"),
        ([b"\x1e"], "unsupported"),
    ],
)
def test_depacketize_rejects_broken_fragments(payloads: list[bytes], message: str) -> None:
    with pytest.raises(RtpError, match=message):
        depacketize(payloads)


nal_bodies = st.binary(min_size=1, max_size=5000)
nal_headers = st.integers(min_value=0, max_value=3).flatmap(
    lambda nri: st.sampled_from([1, 5, 6, 7, 8]).map(lambda t: (nri << 5) | t)
)
nals = st.tuples(nal_headers, nal_bodies).map(lambda hb: bytes([hb[0]]) + hb[1])


@given(st.lists(nals, min_size=1, max_size=6), st.integers(min_value=3, max_value=1500))
def test_packetize_then_depacketize_round_trips(au: list[bytes], max_payload: int) -> None:
    payloads = packetize_access_unit(au, max_payload)
    assert all(len(p) <= max_payload for p in payloads)
    assert depacketize(payloads) == au
