"""RTSP message parsing, CP PLUS request URIs, Transport headers, SDP."""

from __future__ import annotations

import asyncio
import base64

import pytest

from vigil.dvr.simulator.content import H264Content
from vigil.dvr.simulator.live import LiveClock, channel_offset
from vigil.dvr.simulator.rtsp import (
    InterleavedPacket,
    RequestTarget,
    RtspProtocolError,
    RtspRequest,
    build_sdp,
    content_base,
    format_response,
    parse_request_head,
    parse_transport,
    read_message,
    split_request_uri,
)

BASE = "rtsp://127.0.0.1:8554/user=admin&password=p%26w&channel=2&stream=0.sdp"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (BASE + "?", RequestTarget("/user=admin&password=p%26w&channel=2&stream=0.sdp", "")),
        (BASE, RequestTarget("/user=admin&password=p%26w&channel=2&stream=0.sdp", "")),
        (BASE + "/", RequestTarget("/user=admin&password=p%26w&channel=2&stream=0.sdp", "")),
        (BASE + "/trackID=0", RequestTarget(BASE[21:], "trackID=0")),
        (BASE + "?/trackID=0", RequestTarget(BASE[21:], "trackID=0")),  # FFmpeg, no Content-Base
        (
            "/user=a&password=b&channel=1&stream=1.sdp?",
            RequestTarget(
                BASE[21:].replace(
                    "admin&password=p%26w&channel=2&stream=0", "a&password=b&channel=1&stream=1"
                ),
                "",
            ),
        ),
        ("rtsp://h:554/", None),
        ("*", None),
        ("rtsp://h/live.sdp?token=1", None),
    ],
)
def test_split_request_uri(uri: str, expected: RequestTarget | None) -> None:
    assert split_request_uri(uri) == expected


def test_content_base_drops_the_question_mark_and_ends_in_slash() -> None:
    assert content_base(BASE + "?") == BASE + "/"
    assert content_base(BASE + "/") == BASE + "/"


def test_parse_request_head() -> None:
    head = "DESCRIBE rtsp://h/x RTSP/1.0\r\nCSeq: 3\r\nAccept: application/sdp\r\n"
    headers = {"cseq": "3", "accept": "application/sdp"}
    req = parse_request_head(head)
    assert req == RtspRequest("DESCRIBE", "rtsp://h/x", "RTSP/1.0", headers)
    assert req.cseq == "3"
    with pytest.raises(RtspProtocolError, match="request line"):
        parse_request_head("HELLO\r\n")
    with pytest.raises(RtspProtocolError, match="header line"):
        parse_request_head("OPTIONS * RTSP/1.0\r\nbroken\r\n")


async def _read_all(data: bytes) -> list[RtspRequest | InterleavedPacket | None]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    out: list[RtspRequest | InterleavedPacket | None] = []
    while True:
        message = await read_message(reader)
        out.append(message)
        if message is None:
            return out


async def test_read_message_mixes_requests_bodies_and_interleaved_packets() -> None:
    data = (
        b"$\x01\x00\x04rtcp"
        b"SET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 5\r\n\r\nhello"
        b"GET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 10\r\n\r\n"
    )
    first, second, third, end = await _read_all(data)
    assert first == InterleavedPacket(1, b"rtcp")
    assert isinstance(second, RtspRequest) and second.body == b"hello" and second.cseq == "9"
    assert isinstance(third, RtspRequest) and third.method == "GET_PARAMETER"
    assert end is None


async def test_read_message_refuses_a_bad_content_length() -> None:
    with pytest.raises(RtspProtocolError, match="Content-Length"):
        await _read_all(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -1\r\n\r\n")


def test_format_response() -> None:
    text = format_response(200, "7", [("Session", "abc;timeout=60")], b"v=0\r\n").decode()
    lines = text.split("\r\n")
    assert lines[0] == "RTSP/1.0 200 OK" and lines[1] == "CSeq: 7"
    assert "Session: abc;timeout=60" in lines and "Content-Length: 5" in lines
    assert text.endswith("\r\n\r\nv=0\r\n")
    assert format_response(461, "2").startswith(b"RTSP/1.0 461 Unsupported Transport\r\n")


@pytest.mark.parametrize(
    ("header", "tcp", "channels"),
    [
        ("RTP/AVP/TCP;unicast;interleaved=0-1", True, (0, 1)),
        ("RTP/AVP/TCP;unicast;interleaved=4-5;mode=play", True, (4, 5)),
        ("RTP/AVP/TCP;unicast", True, (0, 1)),
        ("RTP/AVP;unicast;client_port=5000-5001", False, (0, 1)),
        ("RTP/AVP/UDP;unicast;client_port=5000-5001", False, (0, 1)),
        ("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3", True, (2, 3)),
    ],
)
def test_parse_transport(header: str, tcp: bool, channels: tuple[int, int]) -> None:
    t = parse_transport(header)
    assert (t.tcp, (t.rtp_channel, t.rtcp_channel)) == (tcp, channels)


def test_parse_transport_refuses_bad_channels() -> None:
    with pytest.raises(RtspProtocolError):
        parse_transport("RTP/AVP/TCP;interleaved=x-1")


SPS = base64.b64decode("Z01AINoDwCJ+WEAAAAMAQAAADIPGDKg=")  # libx264 Main@3.2, 960x1080


def test_sdp_has_what_rfc_6184_clients_need() -> None:
    content = H264Content(960, 1080, 25, 25, SPS, b"\x68\xef\x3c\x80", ((SPS,),) * 25)
    assert (content.sps_info.width, content.sps_info.height) == (960, 1080)
    sdp = build_sdp(
        content, server_ip="127.0.0.1", session_id=1, name="ch1", bitrate_kbps=1800
    ).decode()
    assert "m=video 0 RTP/AVP 96\r\n" in sdp
    assert "a=rtpmap:96 H264/90000\r\n" in sdp
    assert "a=fmtp:96 packetization-mode=1;profile-level-id=4D4020;" in sdp
    assert f"sprop-parameter-sets={base64.b64encode(SPS).decode()},aO88gA==" in sdp
    assert "a=control:trackID=0\r\n" in sdp


def test_live_clock_keyframes_and_deadlines() -> None:
    clock = LiveClock(fps=25, gop=25, origin_s=100.0)
    assert clock.next_keyframe(100.0) == 0
    assert clock.next_keyframe(100.01) == 25
    assert clock.next_keyframe(101.0) == 25
    assert clock.next_keyframe(99.0) == 0
    assert clock.deadline_s(50) == pytest.approx(102.0)


def test_channel_offsets_are_whole_gops_spread_over_the_loop() -> None:
    offsets = [channel_offset(ch, 8, 1975, 25) for ch in range(1, 9)]
    assert offsets == [0, 225, 475, 725, 975, 1225, 1475, 1725]
    assert all(o % 25 == 0 for o in offsets)
