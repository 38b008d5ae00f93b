"""Clip exports: cut a camera's recordings into an MP4 (stream copy), download it with its
SHA-256, and later prove that a copy is unaltered (verify)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from vigil.api.deps import Operator, Principal, Services, audit_success
from vigil.api.routers.cameras import visible_camera
from vigil.api.routers.live import media_of
from vigil.api.schemas import ErrorBody
from vigil.errors import NotFoundError
from vigil.media.exports import ExportView, sha256_of
from vigil.model.times import Instant

router = APIRouter(prefix="/exports", tags=["exports"])

_EXAMPLE_ID = "0b7f3c1e-5d2a-4c1b-9a55-2f0c8e7d6a11"


class ExportCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "camera_id": "gate",
                "start": "2026-11-29T10:00:00Z",
                "end": "2026-11-29T10:01:00Z",
            }
        },
    )

    camera_id: str = Field(max_length=200)
    start: Instant = Field(description="From (ISO 8601 with offset); the clip starts at the "
                            "keyframe at or before it.")  # fmt: skip
    end: Instant = Field(description="To (ISO 8601 with offset); at most 2 h after start.")


class ExportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": _EXAMPLE_ID,
                "camera_id": "gate",
                "start": "2026-11-29T10:00:00Z",
                "end": "2026-11-29T10:01:00Z",
                "status": "ready",
                "created_by": "olga",
                "created_at": "2026-11-29T10:05:00Z",
                "size_bytes": 15400000,
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "error": None,
                "download_url": f"/api/v1/exports/{_EXAMPLE_ID}/download",
            }
        }
    )

    id: uuid.UUID
    camera_id: str
    start: datetime
    end: datetime
    status: Literal["pending", "ready", "failed"]
    created_by: str
    created_at: datetime
    size_bytes: int | None = Field(description="Size of the MP4 once ready.")
    sha256: str | None = Field(description="SHA-256 (hex) of the MP4 file once ready.")
    error: str | None = Field(description="Why the export failed.")
    download_url: str | None = Field(description="Where to download the MP4 once ready.")


class VerifyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "matches": _EXAMPLE_ID,
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            }
        }
    )

    matches: uuid.UUID | None = Field(
        description="The export whose file has exactly this SHA-256, or null (altered, or not "
        "exported here)."
    )
    sha256: str = Field(description="SHA-256 (hex) of the uploaded file.")


def _out(view: ExportView) -> ExportOut:
    return ExportOut(
        id=view.id,
        camera_id=view.camera_id,
        start=view.start,
        end=view.end,
        status=view.status,
        created_by=view.created_by,
        created_at=view.created_at,
        size_bytes=view.size_bytes,
        sha256=view.sha256,
        error=view.error,
        download_url=f"/api/v1/exports/{view.id}/download" if view.status == "ready" else None,
    )


def _may_see(user: Principal, view: ExportView) -> bool:
    mine = user.role == "admin" or view.created_by == user.username
    return mine and user.can_see(view.camera_id)


async def _visible(services: Services, user: Principal, export_id: uuid.UUID) -> ExportView:
    view = await media_of(services).exports.get(export_id)
    if not _may_see(user, view):
        raise NotFoundError(f"no export {export_id}")
    return view


@router.post("", status_code=202, responses={404: {"model": ErrorBody}})
async def create_export(
    body: ExportCreate, request: Request, services: Services, user: Operator
) -> ExportOut:
    """Start exporting [start, end) of a camera as an MP4 (stream copy, no re-encode);
    poll GET /exports/{id} until `status` is ready (or failed)."""
    cam = visible_camera(services, user, body.camera_id)
    view = await media_of(services).exports.create(cam.id, body.start, body.end, user.username)
    await audit_success(
        services,
        request,
        user,
        "export.create",
        f"exports/{view.id}",
        {"camera_id": cam.id, "start": view.start.isoformat(), "end": view.end.isoformat()},
    )
    return _out(view)


@router.get("")
async def list_exports(
    services: Services,
    user: Operator,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ExportOut]:
    """Exports, newest first: the caller's own (an admin sees everyone's)."""
    owner = None if user.role == "admin" else user.username
    views = await media_of(services).exports.list_for(owner, limit)
    return [_out(v) for v in views if user.can_see(v.camera_id)]


@router.get("/{export_id}", responses={404: {"model": ErrorBody}})
async def get_export(export_id: uuid.UUID, services: Services, user: Operator) -> ExportOut:
    return _out(await _visible(services, user, export_id))


@router.get(
    "/{export_id}/download",
    response_class=Response,
    responses={
        200: {
            "content": {"video/mp4": {}},
            "description": "The MP4; header X-Content-SHA256 carries its SHA-256",
        },
        404: {"model": ErrorBody},
    },
)
async def download_export(
    export_id: uuid.UUID, request: Request, services: Services, user: Operator
) -> Response:
    """The exported MP4 as an attachment, with its recorded SHA-256 in X-Content-SHA256."""
    view = await _visible(services, user, export_id)
    if view.status != "ready" or view.sha256 is None:
        raise NotFoundError(f"export {export_id} is {view.status}, not ready to download")
    path, data = await asyncio.to_thread(media_of(services).exports.file, view)
    await audit_success(
        services, request, user, "export.download", f"exports/{view.id}", {"sha256": view.sha256}
    )
    name = f"{view.camera_id}-{view.start:%Y%m%dT%H%M%SZ}-{view.end:%Y%m%dT%H%M%SZ}.mp4"
    headers = {"X-Content-SHA256": view.sha256, "Cache-Control": "no-store"}
    if path is not None:
        return FileResponse(
            path, media_type="video/mp4", filename=name, headers=headers
        )  # Content-Disposition: attachment
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(data, media_type="video/mp4", headers=headers)


@router.post("/verify")
async def verify_export(
    file: Annotated[UploadFile, File(description="A clip file to check.")],
    services: Services,
    user: Operator,
) -> VerifyOut:
    """Hash an uploaded file and say which export (if any) it is an unaltered copy of."""
    digest = await asyncio.to_thread(sha256_of, file.file)
    matches = await media_of(services).exports.find_by_sha256(digest)
    visible = [m for m in matches if user.can_see(m.camera_id)]
    return VerifyOut(matches=visible[0].id if visible else None, sha256=digest)
