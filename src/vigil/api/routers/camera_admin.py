"""Add, change and delete cameras from the dashboard. Cameras of site.yaml are read-only here
(409 naming where the file defines them); those added here are stored (their RTSP URL
encrypted) and the running site starts, restarts or stops their workers at once."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from vigil.analytics.catalog import InvalidItemError
from vigil.api.deps import Admin, ApiServices, Services
from vigil.api.routers.camera_tests import check_rtsp_url, one_source
from vigil.api.routers.cameras import camera_public, visible_camera
from vigil.api.schemas import CameraPublic, ErrorBody
from vigil.api.site_items import (
    BODY_CONFIG,
    ConfigWordedRoute,
    ItemBody,
    UnavailableError,
    changed,
    run,
)
from vigil.config import CameraConfig, Slug, cross_check, validation_errors
from vigil.dvr.cpplus import MASK, mask_url
from vigil.edge.camera_catalog import ApiCamera, CameraCatalog
from vigil.errors import PermissionDeniedError

router = APIRouter(prefix="/cameras", tags=["cameras"], route_class=ConfigWordedRoute)
Aspect = Literal["auto", "16:9", "4:3", "native"]
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Not an admin, or a camera-scoped admin adding"},
    404: {"model": ErrorBody, "description": "No such camera (or not in your scope)"},
    409: {
        "model": ErrorBody,
        "description": "Defined in site.yaml, id taken, used by a rule, or cameras cannot be "
        "changed on this server (a hub; an ingest pool)",
    },
    503: {"model": ErrorBody, "description": "Cameras are not stored on this server"},
}
_DVR_EXAMPLE: dict[str, Any] = {"id": "yard", "name": "Back yard", "channel": 5, "stream": 0}
_URL_EXAMPLE: dict[str, Any] = {
    "id": "shop-door",
    "name": "Shop door",
    "url": "rtsp://admin:secret@192.168.29.31:554/Streaming/Channels/101",
    "enabled": True,
    "display_aspect": "auto",
}
_URL_DESCRIPTION = (
    "rtsp:// or rtsps:// URL of a camera not on the DVR, credentials included; stored "
    "encrypted, never shown again (answers carry url_masked)."
)


def _url(url: str | None) -> str | None:
    return None if url is None else check_rtsp_url(url)


class CameraBody(ItemBody):
    """A camera as site.yaml's `cameras[]` holds it (without zones and motion masks): either a
    channel of the site's DVR (its address and credentials come from site.yaml's dvr
    section) or its own RTSP URL."""

    model_config = ConfigDict(
        **BODY_CONFIG, extra="forbid", json_schema_extra={"examples": [_DVR_EXAMPLE, _URL_EXAMPLE]}
    )
    id: Slug
    name: str = Field(min_length=1)
    channel: int | None = Field(
        None, ge=1, le=128, description="DVR channel, counted from 1 (at most dvr.channels)."
    )
    stream: Literal[0, 1] = Field(0, description="0 = main stream, 1 = sub stream.")
    url: str | None = Field(None, min_length=1, max_length=2048, description=_URL_DESCRIPTION)
    enabled: bool = True
    display_aspect: Aspect = Field(
        "auto",
        description="Shape to show the picture in; 'auto' shows DVR half-width pictures at 16:9.",
    )

    @field_validator("url")
    @classmethod
    def _rtsp_url(cls, url: str | None) -> str | None:
        return _url(url)

    @model_validator(mode="after")
    def _one_source(self) -> CameraBody:
        one_source(self.channel, self.url)
        return self


class CameraPatch(ItemBody):
    """The settings to change; what is left out stays. Giving `channel` makes the camera a
    DVR channel (its URL is dropped); giving `url` makes it pull that URL. A URL whose
    password is `***` (as `url_masked` shows it) keeps the stored password."""

    model_config = ConfigDict(
        **BODY_CONFIG,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Back yard (east)"},
                {"channel": 6, "stream": 1},
                {"url": "rtsp://admin:***@192.168.29.32:554/Streaming/Channels/101"},
                {"enabled": False},
            ]
        },
    )
    # None: left out (unchanged); an explicit null is refused by _not_null.
    name: str | None = Field(None, min_length=1)
    channel: int | None = Field(None, ge=1, le=128, description="DVR channel, counted from 1.")
    stream: Literal[0, 1] | None = Field(None, description="0 = main stream, 1 = sub stream.")
    url: str | None = Field(None, min_length=1, max_length=2048, description=_URL_DESCRIPTION)
    enabled: bool | None = None
    display_aspect: Aspect | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null (leave the key out to keep the current value)")
        return value

    @field_validator("url")
    @classmethod
    def _rtsp_url(cls, url: str | None) -> str | None:
        return _url(url)

    @model_validator(mode="after")
    def _one_source(self) -> CameraPatch:
        if self.channel is not None and self.url is not None:
            raise ValueError("give either channel (a DVR channel) or url (an RTSP URL), not both")
        return self


def _catalog(services: ApiServices) -> CameraCatalog:
    if services.cameras is None:
        raise UnavailableError("cameras are not stored on this server (site.yaml only)")
    services.cameras.check_changes_allowed()
    return services.cameras


def _validated(services: ApiServices, data: dict[str, Any]) -> CameraConfig:
    """The camera exactly as site.yaml's checks judge it (fields, DVR channel and password),
    errors located in the request body."""
    try:
        camera = ApiCamera.model_validate(data)
    except ValidationError as err:
        raise InvalidItemError(validation_errors(err.errors(include_input=False))) from None
    dvr = services.config.dvr
    document = {
        "dvr": {"channels": dvr.channels, "password": "set" if dvr.password else None},
        "cameras": [{"id": camera.id, "channel": data.get("channel"), "url": data.get("url")}],
    }
    problems = []
    for path, message in cross_check(document):
        if path == "dvr.password":
            message = "the DVR has no password in site.yaml (dvr.password): give the url instead"
        problems.append(("channel", message))
    if problems:
        raise InvalidItemError(problems)
    return camera


def _secrets_in(url: str) -> list[str]:
    """The parts of `url` that `mask_url` hides, in order."""
    masked = mask_url(url)
    matcher = SequenceMatcher(None, url, masked, autojunk=False)
    return [
        url[i1:i2]
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal" and masked[j1:j2] == MASK
    ]


def _unmask(url: str, stored: str | None) -> str:
    """`url` with each `***` replaced by the stored URL's password in the same place."""
    if MASK not in url:
        return url
    secrets = _secrets_in(stored) if stored is not None else []
    pieces = url.split(MASK)
    if len(pieces) - 1 != len(secrets):
        problem = f"contains {MASK} (a hidden password) but the stored URL has no password "
        raise InvalidItemError([("url", problem + "in that place to keep; type the password")])
    out = pieces[0]
    for secret, piece in zip(secrets, pieces[1:], strict=True):
        out += secret + piece
    return out


def _settings(camera: CameraConfig) -> dict[str, Any]:
    """What the audit log keeps of a camera: never a password."""
    url = camera.url.get_secret_value() if camera.url is not None else None
    return {
        "name": camera.name,
        "channel": None if url is not None else camera.channel,
        "stream": camera.stream,
        "url": mask_url(url) if url is not None else None,
        "enabled": camera.enabled,
        "display_aspect": camera.display_aspect,
    }


async def _forget_viewers(services: ApiServices, camera_id: str) -> None:
    if services.media is not None:
        await services.media.webrtc.forget(camera_id)


@router.post("", status_code=201, responses=_WRITE_ERRORS)
async def create_camera(
    body: CameraBody, request: Request, services: Services, admin: Admin
) -> CameraPublic:
    """Add a camera: a DVR channel or its own RTSP URL. The site starts recording and
    analysing it at once (when enabled); rules for all cameras ("*") watch it too."""
    cameras = _catalog(services)
    if admin.cameras is not None:
        raise PermissionDeniedError(
            "a camera-scoped admin cannot add cameras (the new camera would be outside your "
            "scope); ask an admin without a camera scope"
        )
    camera = _validated(services, body.model_dump())
    entry = await run(cameras.create, camera)
    resource = f"cameras/{camera.id}"
    await changed(services, request, admin, "cameras.create", resource, _settings(entry.camera))
    return camera_public(services, entry.camera)


@router.patch("/{camera_id}", responses=_WRITE_ERRORS)
async def update_camera(
    camera_id: str, body: CameraPatch, request: Request, services: Services, admin: Admin
) -> CameraPublic:
    """Change a camera added through the API. A new channel, stream or URL restarts its
    worker; a new name or display shape does not; `enabled: false` stops it."""
    current = visible_camera(services, admin, camera_id)
    cameras = _catalog(services)
    cameras.refuse_file_camera(camera_id)
    given = body.model_fields_set
    stored_url = current.url.get_secret_value() if current.url is not None else None
    data: dict[str, Any] = {
        "id": current.id,
        "name": current.name,
        "channel": None if stored_url is not None else current.channel,
        "stream": current.stream,
        "url": stored_url,
        "enabled": current.enabled,
        "display_aspect": current.display_aspect,
    }
    data.update({f: getattr(body, f) for f in given if f not in ("channel", "url")})
    if "channel" in given:
        data["channel"], data["url"] = body.channel, None
    if "url" in given:
        assert body.url is not None  # _not_null
        data["channel"], data["url"] = None, _unmask(body.url, stored_url)
    entry = await run(cameras.update, _validated(services, data))
    if given & {"channel", "url", "stream", "enabled"}:  # its live viewers watch the old one
        await _forget_viewers(services, camera_id)
    details = {"changed": sorted(given), **_settings(entry.camera)}
    await changed(services, request, admin, "cameras.update", f"cameras/{camera_id}", details)
    return camera_public(services, entry.camera)


@router.delete("/{camera_id}", status_code=204, response_class=Response, responses=_WRITE_ERRORS)
async def delete_camera(
    camera_id: str, request: Request, services: Services, admin: Admin
) -> Response:
    """Delete a camera added through the API: its worker stops (the segment being written is
    stored first). Its recordings, events and alerts are kept (recordings stay listed under
    its id until retention removes them). Its API zones are deleted with it; refused (409,
    naming them) while a rule names the camera or one of its zones: change or delete those
    rules first, so that no rule silently loses what it watches."""
    visible_camera(services, admin, camera_id)
    cameras = _catalog(services)
    entry = await run(cameras.delete, camera_id)
    await _forget_viewers(services, camera_id)
    resource = f"cameras/{camera_id}"
    await changed(services, request, admin, "cameras.delete", resource, _settings(entry.camera))
    return Response(status_code=204)
