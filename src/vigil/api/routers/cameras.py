"""Cameras: configuration merged with what each camera is doing now. Adding, changing and
deleting cameras is in camera_admin.py."""

from __future__ import annotations

from fastapi import APIRouter, Response

from vigil.api.deps import ApiServices, CurrentUser, Principal, Services
from vigil.api.schemas import CameraPublic, DetectionPublic, ErrorBody
from vigil.config import CameraConfig
from vigil.dvr.cpplus import mask_url
from vigil.edge.camera_catalog import entry_of
from vigil.errors import NotFoundError

router = APIRouter(prefix="/cameras", tags=["cameras"])


# Half-width modes of DVRs: a 16:9 scene squeezed into these sizes.
_HALF_WIDTH_16_9 = {(960, 1080), (480, 540), (960, 576), (960, 480)}
_ASPECTS = {"16:9": 16 / 9, "4:3": 4 / 3}


def display_aspect(cam: CameraConfig, width: int | None, height: int | None) -> float | None:
    if cam.display_aspect in _ASPECTS:
        return _ASPECTS[cam.display_aspect]
    if not width or not height:
        return None
    if cam.display_aspect == "auto" and (width, height) in _HALF_WIDTH_16_9:
        return 16 / 9
    return width / height


def camera_public(services: ApiServices, cam: CameraConfig) -> CameraPublic:
    """A camera as the API shows it: settings (never a password), source and live state."""
    entry = entry_of(services.config, cam)
    status = services.live.status(cam.id)
    latest = services.live.detections(cam.id)
    state = "disabled" if not cam.enabled else (status.state.value if status else "connecting")
    detections = (
        [
            DetectionPublic.model_validate(
                {
                    "class": d.class_name,
                    "confidence": round(d.confidence, 3),
                    "bbox": d.bbox_xyxy,
                    "track_id": d.track_id,
                }
            )
            for d in latest.detections
        ]
        if latest
        else []
    )
    return CameraPublic(
        id=cam.id,
        name=cam.name,
        channel=entry.channel,
        stream=cam.stream,
        own_url=cam.url is not None,
        source=entry.source,
        defined_in=entry.defined_in,
        enabled=cam.enabled,
        url_masked=mask_url(cam.url.get_secret_value()) if cam.url is not None else None,
        display_aspect_setting=cam.display_aspect,
        status=state,  # type: ignore[arg-type]  # CameraState values are the Literal's
        status_detail=status.detail if status else None,
        last_frame_at=latest.timestamp if latest else None,
        fps=status.fps if status else None,
        width=status.width if status else None,
        height=status.height if status else None,
        display_aspect=display_aspect(
            cam, status.width if status else None, status.height if status else None
        ),
        detections=detections,
    )


def visible_camera(services: Services, user: Principal, camera_id: str) -> CameraConfig:
    """The camera, if configured and in the caller's scope; otherwise it does not exist (a
    camera outside the user's scope is reported as absent, not as forbidden)."""
    try:
        camera = services.config.camera(camera_id)
    except KeyError:
        raise NotFoundError(f"no camera {camera_id!r}") from None
    if not user.can_see(camera.id):
        raise NotFoundError(f"no camera {camera_id!r}")
    return camera


@router.get("")
async def list_cameras(services: Services, user: CurrentUser) -> list[CameraPublic]:
    """The cameras this user may see, with what each is doing now."""
    return [camera_public(services, c) for c in services.config.cameras if user.can_see(c.id)]


@router.get("/{camera_id}", responses={404: {"model": ErrorBody}})
async def get_camera(camera_id: str, services: Services, user: CurrentUser) -> CameraPublic:
    return camera_public(services, visible_camera(services, user, camera_id))


@router.get(
    "/{camera_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorBody}},
)
async def camera_snapshot(camera_id: str, services: Services, user: CurrentUser) -> Response:
    """The latest analysed frame (JPEG, no overlays: the dashboard draws the boxes)."""
    cam = visible_camera(services, user, camera_id)
    jpeg = services.live.snapshot_jpeg(cam.id)
    if jpeg is None:
        raise NotFoundError(f"camera {camera_id!r} has no frame yet")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
