"""Live video of a camera: where to get it (cameras/{id}/live), HLS files and WebRTC offers."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from vigil.api.deps import CurrentUser, Services
from vigil.api.routers.cameras import visible_camera
from vigil.api.schemas import ErrorBody
from vigil.errors import NotFoundError, VigilError
from vigil.media.video import HLS_CONTENT_TYPES, MediaServices
from vigil.storage.recordings import PLAYLIST

router = APIRouter(prefix="/cameras", tags=["live"])


class MediaUnavailableError(VigilError):
    status_code = 503


class LiveOut(BaseModel):
    camera_id: str
    webrtc: str = Field(description="POST a WebRTC offer here (sub-second latency).")
    hls: str = Field(description="Live HLS playlist (fMP4, 1 s segments): the fallback.")
    hls_ready: bool = Field(description="Whether the HLS playlist exists yet.")
    streams: list[Literal["main", "sub"]] = Field(
        description="Streams WebRTC can carry: main (full size) or sub (small, for grids)."
    )
    status: str = Field(description="Camera state: online, connecting, reconnecting, ...")
    webrtc_viewers: int = Field(description="WebRTC viewers of this camera now.")

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "camera_id": "gate",
                "webrtc": "/api/v1/cameras/gate/webrtc",
                "hls": "/api/v1/cameras/gate/hls/live.m3u8",
                "hls_ready": True,
                "streams": ["main", "sub"],
                "status": "online",
                "webrtc_viewers": 1,
            }
        }
    )


class WebRtcOffer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"sdp": "v=0\r\n...", "type": "offer", "stream": "sub"}},
    )

    sdp: str = Field(max_length=100_000, description="The browser's SDP offer.")
    type: Literal["offer"] = "offer"
    stream: Literal["main", "sub"] = Field("main", description="main (full size) or sub.")


class WebRtcAnswer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"sdp": "v=0\r\n...", "type": "answer"}}
    )

    sdp: str
    type: Literal["answer"] = "answer"


def media_of(services: Services) -> MediaServices:
    if services.media is None:
        raise MediaUnavailableError("video is not served here")
    return services.media


@router.get("/{camera_id}/live", responses={404: {"model": ErrorBody}})
async def camera_live(camera_id: str, services: Services, user: CurrentUser) -> LiveOut:
    """Where to watch a camera live: WebRTC (preferred) and HLS (fallback) URLs."""
    cam = visible_camera(services, user, camera_id)
    media = media_of(services)
    status = services.live.status(cam.id)
    state = "disabled" if not cam.enabled else (status.state.value if status else "connecting")
    base = f"/api/v1/cameras/{cam.id}"
    return LiveOut(
        camera_id=cam.id,
        webrtc=f"{base}/webrtc",
        hls=f"{base}/hls/{PLAYLIST}",
        hls_ready=media.live.ready(cam.id),
        streams=["main", "sub"],
        status=state,
        webrtc_viewers=media.webrtc.viewers(cam.id),
    )


_HLS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {t: {} for t in HLS_CONTENT_TYPES.values()},
        "description": "The playlist or a segment",
    },
    404: {"model": ErrorBody},
}


@router.get("/{camera_id}/hls/{name}", response_class=Response, responses=_HLS_RESPONSES)
async def live_hls(
    camera_id: str,
    name: Annotated[str, Path(description="live.m3u8, init-N.mp4 or seg-N-M.m4s")],
    services: Services,
    user: CurrentUser,
) -> Response:
    """The live HLS playlist (`live.m3u8`, never cached) and the files it names."""
    cam = visible_camera(services, user, camera_id)
    path = media_of(services).live.path(cam.id, name)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        raise NotFoundError(f"no live file {name!r} (old segments are deleted)") from None
    suffix = name[name.rindex(".") :]
    cache = "no-cache" if name == PLAYLIST else "private, max-age=60"
    return Response(data, media_type=HLS_CONTENT_TYPES[suffix], headers={"Cache-Control": cache})


@router.post(
    "/{camera_id}/webrtc",
    responses={
        404: {"model": ErrorBody},
        502: {"model": ErrorBody, "description": "The camera's stream cannot be opened"},
        503: {"model": ErrorBody, "description": "Too many WebRTC viewers; use HLS"},
    },
)
async def camera_webrtc(
    camera_id: str, offer: WebRtcOffer, services: Services, user: CurrentUser
) -> WebRtcAnswer:
    """Answer a WebRTC offer: the camera's H.264 passed through without re-encoding.
    The offer must carry a video transceiver (recvonly) that accepts H.264."""
    cam = visible_camera(services, user, camera_id)
    sdp = await media_of(services).webrtc.answer(cam.id, offer.stream, offer.sdp)
    return WebRtcAnswer(sdp=sdp)
