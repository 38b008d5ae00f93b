"""RTSP 1.0 wire format (RFC 2326): requests, responses, SDP, CP PLUS request URIs."""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass, field

from vigil.dvr.simulator.content import H264Content
from vigil.dvr.simulator.rtp import H264_CLOCK_RATE, H264_PAYLOAD_TYPE
from vigil.errors import VigilError

SERVER_NAME = "Vigil DVR simulator (CP PLUS CP-UVR-0801E1-CV2)"
TRACK_CONTROL = "trackID=0"
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "RTSP Version Not Supported",
}

# `.sdp` followed by the end, `?` (CP PLUS's empty query) or a `/control` suffix.
_SDP_SUFFIX_RE = re.compile(r"\.sdp(?=$|\?|/)")


class RtspProtocolError(VigilError):
    """A client sent something that is not RTSP 1.0."""

    status_code = 400


@dataclass(frozen=True, slots=True)
class RtspRequest:
    """One request; header names are lower-cased."""

    method: str
    uri: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def cseq(self) -> str:
        return self.headers.get("cseq", "0")


@dataclass(frozen=True, slots=True)
class InterleavedPacket:
    """A `$`-framed packet from the client (RTCP receiver reports, usually)."""

    channel: int
    data: bytes


@dataclass(frozen=True, slots=True)
class RequestTarget:
    """A CP PLUS request URI split into its stream path and control suffix.

    `path` is `/user=...&stream=N.sdp` (no `?`); `control` is `""` for the
    aggregate URL and `trackID=0` for the track.
    """

    path: str
    control: str


async def read_message(reader: asyncio.StreamReader) -> RtspRequest | InterleavedPacket | None:
    """Read one RTSP request or interleaved packet; None at a clean end of stream."""
    try:
        first = await reader.readexactly(1)
    except asyncio.IncompleteReadError:
        return None
    if first == b"$":
        head = await reader.readexactly(3)
        size = int.from_bytes(head[1:3], "big")
        return InterleavedPacket(head[0], await reader.readexactly(size))
    try:
        raw = first + await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as err:
        raise RtspProtocolError("RTSP request headers too long") from err
    if len(raw) > MAX_HEADER_BYTES:
        raise RtspProtocolError("RTSP request headers too long")
    request = parse_request_head(raw.decode("utf-8", errors="replace"))
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise RtspProtocolError(f"bad Content-Length {length!r}")
    if int(length):
        body = await reader.readexactly(int(length))
        request = RtspRequest(request.method, request.uri, request.version, request.headers, body)
    return request


def parse_request_head(text: str) -> RtspRequest:
    """Parse a request line and headers (the part before the blank line)."""
    lines = text.strip("\r\n").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise RtspProtocolError(f"bad RTSP request line {lines[0][:80]!r}")
    method, uri, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise RtspProtocolError(f"bad RTSP header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return RtspRequest(method.upper(), uri, version, headers)


def format_response(
    status: int, cseq: str, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> bytes:
    """An RTSP/1.0 response with CSeq echoed, a Server header and Content-Length for a body."""
    lines = [f"RTSP/1.0 {status} {REASONS.get(status, 'Error')}", f"CSeq: {cseq}"]
    lines.append(f"Server: {SERVER_NAME}")
    lines.extend(f"{name}: {value}" for name, value in headers or [])
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def split_request_uri(uri: str) -> RequestTarget | None:
    """Split `rtsp://host:port/user=..&stream=0.sdp[?][/trackID=0]`; None if not CP PLUS shaped.

    Accepts absolute URIs and bare paths, with or without CP PLUS's trailing `?`,
    and control suffixes appended either after the `?` (FFmpeg resolving against
    the request URL) or directly.
    """
    path = uri
    scheme = uri.find("://")
    if scheme >= 0:
        slash = uri.find("/", scheme + 3)
        path = uri[slash:] if slash >= 0 else "/"
    matches = list(_SDP_SUFFIX_RE.finditer(path))
    if not matches:
        return None
    end = matches[-1].end()
    suffix = path[end:]
    if suffix.startswith("?"):
        suffix = suffix[1:]
    if suffix and not suffix.startswith("/"):
        return None  # a real query string: CP PLUS URLs have none
    return RequestTarget(path=path[:end], control=suffix.strip("/"))


def content_base(uri: str) -> str:
    """The DESCRIBE reply's Content-Base: the request URI without its `?`, ending in `/`."""
    base = uri.split("?", 1)[0] if uri.endswith("?") else uri
    return base if base.endswith("/") else base + "/"


def build_sdp(
    content: H264Content, *, server_ip: str, session_id: int, name: str, bitrate_kbps: int
) -> bytes:
    """The SDP of one live H.264 track (RFC 4566, RFC 6184 8.2)."""
    sps = content.sps_info
    sprop = ",".join(base64.b64encode(n).decode() for n in (content.sps, content.pps))
    family = "IP6" if ":" in server_ip else "IP4"
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN {family} {server_ip}",
        f"s={name}",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=control:*",
        "a=range:npt=0-",
        f"m=video 0 RTP/AVP {H264_PAYLOAD_TYPE}",
        f"b=AS:{bitrate_kbps}",
        f"a=rtpmap:{H264_PAYLOAD_TYPE} H264/{H264_CLOCK_RATE}",
        f"a=fmtp:{H264_PAYLOAD_TYPE} packetization-mode=1;profile-level-id={sps.profile_level_id};"
        f"sprop-parameter-sets={sprop}",
        f"a=framerate:{content.fps}",
        f"a=framesize:{H264_PAYLOAD_TYPE} {content.width}-{content.height}",
        f"a=control:{TRACK_CONTROL}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass(frozen=True, slots=True)
class TransportRequest:
    """What a SETUP's Transport header asks for."""

    tcp: bool
    rtp_channel: int
    rtcp_channel: int


def parse_transport(header: str) -> TransportRequest:
    """Pick the first RTP/AVP/TCP alternative of a Transport header (RFC 2326 12.39)."""
    for spec in header.split(","):
        params = [p.strip() for p in spec.split(";")]
        if params[0].upper() != "RTP/AVP/TCP":
            continue
        channels = (0, 1)
        for p in params[1:]:
            if p.lower().startswith("interleaved="):
                low, _, high = p.split("=", 1)[1].partition("-")
                if not low.isdigit() or (high and not high.isdigit()):
                    raise RtspProtocolError(f"bad interleaved channels {p!r}")
                channels = (int(low), int(high) if high else int(low) + 1)
        if not all(0 <= c <= 255 for c in channels):
            raise RtspProtocolError(f"interleaved channels {channels} out of range")
        return TransportRequest(True, channels[0], channels[1])
    return TransportRequest(False, 0, 1)
