"""Test a camera connection from the dashboard: a DVR channel (with the site's DVR
credentials), an RTSP URL, or a configured camera. The stream is opened once, read for its
parameters and closed; the answer says what it sends or why it failed, never a password."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vigil.analytics.catalog import InvalidItemError
from vigil.api.deps import Admin, Principal, Services, client_ip
from vigil.api.routers.cameras import visible_camera
from vigil.api.schemas import ErrorBody
from vigil.api.site_items import BODY_CONFIG, ConfigWordedRoute, ItemBody
from vigil.config import SiteConfig
from vigil.dvr.cpplus import CpPlusUrlError, mask_url, parse_cpplus_path
from vigil.dvr.site import channel_url
from vigil.edge.probe import ProbeResult, probe_stream
from vigil.errors import NotFoundError

router = APIRouter(prefix="/cameras", tags=["cameras"], route_class=ConfigWordedRoute)

# FFmpeg's own connect/read limit; the answer comes by PROBE_TIMEOUT_S + _GRACE_S at worst.
PROBE_TIMEOUT_S = 5.0
_GRACE_S = 3.0
_SCHEMES = ("rtsp", "rtsps")
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such camera (or not in your scope)"},
}
_CHANNEL_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "The channel's camera is not in your scope"},
}


def one_source(channel: int | None, url: str | None) -> None:
    """A camera added or probed through the API is a DVR channel or an RTSP URL: one of them.
    (site.yaml lets a url override a channel; the API asks which one is meant.)"""
    if (channel is None) == (url is None):
        raise ValueError("give either channel (a DVR channel) or url (an RTSP URL), not both")


def check_rtsp_url(url: str) -> str:
    """`url` if it is an rtsp:// or rtsps:// URL with a host; else ValueError saying why (the
    message never repeats the URL: it may hold a password)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("must not contain control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme.lower() not in _SCHEMES:
        scheme = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValueError(f"must be an rtsp:// or rtsps:// URL (got {scheme})")
    if not host:
        raise ValueError("has no host (expected rtsp://host[:port]/path)")
    return url


class ProbeBody(ItemBody):
    """Either a DVR channel (probed with the site's DVR address and credentials) or the RTSP
    URL of a camera that is not on the DVR."""

    model_config = ConfigDict(
        **BODY_CONFIG,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"channel": 3, "stream": 1},
                {"url": "rtsp://admin:secret@192.168.29.31:554/Streaming/Channels/101"},
            ]
        },
    )
    channel: int | None = Field(
        None, ge=1, le=128, description="DVR channel, counted from 1 (at most dvr.channels)."
    )
    stream: Literal[0, 1] = Field(0, description="0 = main stream, 1 = sub stream.")
    url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="rtsp:// or rtsps:// URL, credentials included; never echoed back unmasked.",
    )

    @field_validator("url")
    @classmethod
    def _rtsp_url(cls, url: str | None) -> str | None:
        return None if url is None else check_rtsp_url(url)

    @model_validator(mode="after")
    def _one_target(self) -> ProbeBody:
        one_source(self.channel, self.url)
        return self


class ProbePublic(BaseModel):
    ok: bool = Field(description="The stream opened and sent a video stream.")
    detail: str = Field(description="What it sends, or why it failed. Never a password.")
    auth_failed: bool = Field(description="The camera or DVR refused the credentials.")
    target: str = Field(description="What was probed, password masked.")
    codec: str | None = Field(description="Video codec, e.g. h264.")
    width: int | None = Field(description="Picture width in pixels.")
    height: int | None = Field(description="Picture height in pixels.")
    fps: float | None = Field(description="Frames per second the stream announces.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "detail": "h264 960x1080, 25 fps",
                    "auth_failed": False,
                    "target": "rtsp://192.168.29.200:554/user=admin&password=***&channel=3&"
                    "stream=1.sdp?",
                    "codec": "h264",
                    "width": 960,
                    "height": 1080,
                    "fps": 25.0,
                }
            ]
        }
    )


def _secrets(config: SiteConfig, url: str) -> list[str]:
    """Every password the URL or the DVR section holds, to scrub from what goes back."""
    found = [config.dvr.password.get_secret_value()] if config.dvr.password else []
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        found += [parts.password or "", unquote(parts.password or "")]
        with contextlib.suppress(CpPlusUrlError):
            found.append(parse_cpplus_path(parts.path).password)
    return [s for s in found if s]


def _scrub(text: str, secrets: list[str]) -> str:
    text = mask_url(text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


async def probe(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """`probe_stream` in a thread of its own, answered within `timeout_s + _GRACE_S`.

    Not `asyncio.to_thread`: a probe stuck where FFmpeg's timeout does not reach (a host name
    lookup) would hold one of the few default-executor threads the database work needs."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[ProbeResult] = loop.create_future()

    def settle(result: ProbeResult) -> None:
        if not done.done():
            done.set_result(result)

    def work() -> None:
        try:
            result = probe_stream(url, timeout_s)
        except Exception as err:  # PyAV refusing the URL itself; its message may hold it
            result = ProbeResult(False, f"cannot open the stream ({type(err).__name__})")
        # RuntimeError: the server stopped meanwhile, and nobody waits for the answer.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result)

    threading.Thread(target=work, name="camera-probe", daemon=True).start()
    limit_s = timeout_s + _GRACE_S
    try:
        return await asyncio.wait_for(done, limit_s)
    except TimeoutError:
        return ProbeResult(False, f"no answer within {limit_s:g} s")


async def _answer(
    services: Services,
    request: Request,
    admin: Principal,
    url: str,
    resource: str,
) -> ProbePublic:
    secrets = _secrets(services.config, url)
    result = await probe(url)
    target = _scrub(url, secrets)
    answer = ProbePublic(
        ok=result.ok,
        detail=_scrub(result.detail, secrets),
        auth_failed=result.auth_failed,
        target=target,
        codec=result.codec,
        width=result.width,
        height=result.height,
        fps=result.fps,
    )
    await services.audit.record(
        "cameras.test",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success" if result.ok else "failure",
        resource=resource,
        details={"target": target, "ok": result.ok},
    )
    return answer


@router.post("/test", responses=_CHANNEL_ERRORS)
async def test_connection(
    body: ProbeBody, request: Request, services: Services, admin: Admin
) -> ProbePublic:
    """Probe a DVR channel (with the site's DVR credentials) or an RTSP URL before adding it
    as a camera: 200 with `ok` false and the reason when the stream does not open."""
    if body.url is not None:
        return await _answer(services, request, admin, body.url, "cameras/test")
    assert body.channel is not None  # the body's validator requires one of the two
    channels = services.config.dvr.channels
    if body.channel > channels:
        raise InvalidItemError(
            [("channel", f"the DVR has {channels} channel(s) (dvr.channels); got {body.channel}")]
        )
    dvr_cameras = [c for c in services.config.cameras if c.url is None]
    on_channel = [c.id for c in dvr_cameras if c.channel == body.channel]
    if any(not admin.can_see(camera_id) for camera_id in on_channel):
        # A camera-scoped admin tests the channels of their cameras (and unused ones) only.
        raise NotFoundError(f"channel {body.channel} belongs to a camera outside your scope")
    url = channel_url(services.config.dvr, body.channel, body.stream)
    return await _answer(services, request, admin, url, f"cameras/test/channel/{body.channel}")


@router.post("/{camera_id}/test", responses=_ERRORS)
async def test_camera(
    camera_id: str, request: Request, services: Services, admin: Admin
) -> ProbePublic:
    """Probe a configured camera's stream as its worker opens it (enabled or not)."""
    cam = visible_camera(services, admin, camera_id)
    if cam.url is not None:
        url = cam.url.get_secret_value()
    else:
        url = channel_url(services.config.dvr, cam.dvr_channel, cam.stream)
    return await _answer(services, request, admin, url, f"cameras/{cam.id}")
