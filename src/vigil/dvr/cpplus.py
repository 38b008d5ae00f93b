"""CP PLUS DVR RTSP URLs: build, parse and mask.

CP PLUS DVRs of the CP-UVR family (Xiongmai firmware) carry the credentials in
the RTSP *path*, not in the URL's userinfo:

    rtsp://<ip>:554/user=<u>&password=<p>&channel=<1..N>&stream=<0|1>.sdp?

`stream=0` is the main stream, `stream=1` the sub stream. The firmware splits
that path on `&` and `=` and compares the values as they stand; it is not known
to percent-decode them. So `build_rtsp_url` leaves every character that is legal
in a URL path and is not one of the firmware's separators as it is (letters,
digits and ``-._~!$'()*+,;:``), which works whether or not the firmware decodes.
Only characters that would break the URL or the firmware's split (``& = ? # / %
@``, space, quotes, brackets, control and non-ASCII characters) are
percent-encoded; such a credential cannot be expressed reliably to a real DVR,
so `credentials_are_portable` tells callers to warn (without the value). The
simulator percent-decodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from vigil.errors import VigilError

MAIN_STREAM = 0
SUB_STREAM = 1
DEFAULT_RTSP_PORT = 554
MASK = "***"

# Characters that are legal in an RFC 3986 path segment and that the firmware's
# `&`/`=` split leaves alone; everything else is percent-encoded.
_LITERAL_SAFE = "-._~!$'()*+,;:"

_PATH_RE = re.compile(
    r"^/?user=(?P<user>[^&]*)&password=(?P<password>.*)"
    r"&channel=(?P<channel>[0-9]+)&stream=(?P<stream>[0-9]+)\.sdp\??$",
    re.DOTALL,
)


class CpPlusUrlError(VigilError):
    """A CP PLUS RTSP URL or one of its parts is invalid."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class CpPlusPath:
    """The parts of a CP PLUS RTSP path, percent-decoded. `channel` counts from 1."""

    user: str
    password: str = field(repr=False)  # never in a repr, log or traceback
    channel: int
    stream: int


def quote_credential(value: str) -> str:
    """Percent-encode a user name or password for a CP PLUS path (see module doc)."""
    return quote(value, safe=_LITERAL_SAFE)


def build_rtsp_url(
    host: str,
    channel: int,
    stream: int = MAIN_STREAM,
    *,
    username: str,
    password: str,
    port: int = DEFAULT_RTSP_PORT,
) -> str:
    """Return `rtsp://<host>:<port>/user=<u>&password=<p>&channel=<n>&stream=<s>.sdp?`.

    `channel` counts from 1; `stream` is 0 (main) or 1 (sub). An empty password
    is allowed (CP PLUS ships `admin` with none); an empty user name is not.
    Raises `CpPlusUrlError` for invalid parts; its message never holds the password.
    """
    host = host.strip()
    if not host or any(c in host for c in "/?#@ "):
        raise CpPlusUrlError(f"invalid DVR host {host!r}: expected an IP address or host name")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    if isinstance(channel, bool) or not isinstance(channel, int) or channel < 1:
        raise CpPlusUrlError(f"invalid DVR channel {channel!r}: channels count from 1")
    if stream not in (MAIN_STREAM, SUB_STREAM) or isinstance(stream, bool):
        raise CpPlusUrlError(f"invalid DVR stream {stream!r}: 0 is the main stream, 1 the sub")
    if isinstance(port, bool) or not 1 <= port <= 65535:
        raise CpPlusUrlError(f"invalid RTSP port {port!r}: expected 1..65535")
    if not username:
        raise CpPlusUrlError("the DVR user name is empty")
    return (
        f"rtsp://{host}:{port}/user={quote_credential(username)}"
        f"&password={quote_credential(password)}&channel={channel}&stream={stream}.sdp?"
    )


def channel_urls(
    host: str,
    channels: int,
    stream: int = MAIN_STREAM,
    *,
    username: str,
    password: str,
    port: int = DEFAULT_RTSP_PORT,
) -> dict[int, str]:
    """The DVR's channel map: channel number (from 1) -> RTSP URL of `stream`."""
    if channels < 1:
        raise CpPlusUrlError(f"a DVR has at least one channel, got {channels}")
    return {
        n: build_rtsp_url(host, n, stream, username=username, password=password, port=port)
        for n in range(1, channels + 1)
    }


def credentials_are_portable(username: str, password: str) -> bool:
    """False when a credential needs percent-encoding, which real CP PLUS firmware may
    not decode: warn the operator (at config load) to pick another password."""
    return quote_credential(username) == username and quote_credential(password) == password


def parse_cpplus_path(path: str) -> CpPlusPath:
    """Parse `/user=<u>&password=<p>&channel=<n>&stream=<s>.sdp[?]` (leading `/` optional).

    The values are percent-decoded (`+` stays `+`). A raw `&` inside the password
    is tolerated, since the password runs up to `&channel=`. Raises
    `CpPlusUrlError` naming what is wrong; the message never holds the password.
    """
    match = _PATH_RE.match(path)
    if match is None:
        raise CpPlusUrlError(
            f"not a CP PLUS RTSP path: {mask_url(path)!r}; expected "
            "/user=<u>&password=<p>&channel=<n>&stream=<0|1>.sdp?"
        )
    channel, stream = int(match["channel"]), int(match["stream"])
    if channel < 1:
        raise CpPlusUrlError(f"invalid channel {channel} in CP PLUS path: channels count from 1")
    if stream not in (MAIN_STREAM, SUB_STREAM):
        raise CpPlusUrlError(f"invalid stream {stream} in CP PLUS path: expected 0 or 1")
    return CpPlusPath(
        user=unquote(match["user"]),
        password=unquote(match["password"]),
        channel=channel,
        stream=stream,
    )


# --- masking -------------------------------------------------------------------

# Query/path keys whose values are secrets.
_SECRET_KEYS = (
    "password|passwd|pwd|pass|secret|token|access_token|auth|api_key|apikey|key|signature|sig"
)
# In a CP PLUS path the password runs to `&channel=` (so a raw `&` in it is masked too).
_CPPLUS_PASSWORD_RE = re.compile(r"(?i)(password=)(.*?)(?=&channel=[0-9])", re.DOTALL)
_SECRET_PARAM_RE = re.compile(rf"(?i)(^|[/?&;])((?:{_SECRET_KEYS})=)([^&#;]*)")
_AUTHORITY_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)")
# Fallback for a userinfo password holding a raw `/`, `?` or `#` (not well formed, but
# typed by people): `scheme://user:<anything>@host` where <anything> is not a port.
_LOOSE_USERINFO_RE = re.compile(
    r"^(?P<pre>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*:)"
    r"(?![0-9]*(?:[/?#]|$))(?P<password>.*?)"
    r"(?=@[^@/?#\s]+(?:[/?#]|$))",
    re.DOTALL,
)


def mask_url(url: str) -> str:
    """Return `url` with every password replaced by `***`, the rest left readable.

    Masks the CP PLUS path's `password=`, the userinfo password in
    `scheme://user:pass@host`, and secret-looking parameters (`password`,
    `pwd`, `token`, `key`, ...) in paths and query strings. Call it wherever a
    URL is logged, shown or put in an error message.
    """
    masked = _mask_userinfo(url)
    masked = _CPPLUS_PASSWORD_RE.sub(lambda m: m[1] + MASK, masked)
    return _SECRET_PARAM_RE.sub(
        lambda m: m[0] if m[3] == MASK else m[1] + m[2] + MASK,
        masked,
    )


def _mask_userinfo(url: str) -> str:
    match = _AUTHORITY_RE.match(url)
    if match is None:
        return url
    authority = match["authority"]
    at = authority.rfind("@")
    if at < 0:
        return _LOOSE_USERINFO_RE.sub(lambda m: m["pre"] + MASK, url, count=1)
    userinfo, hostport = authority[:at], authority[at + 1 :]
    user, sep, _ = userinfo.partition(":")
    masked_authority = f"{user}{sep}{MASK if sep else ''}@{hostport}"
    return match["scheme"] + masked_authority + url[match.end() :]
