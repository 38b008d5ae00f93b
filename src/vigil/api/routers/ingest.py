"""What edges send to the hub (their store-and-forward uplink): records in batches, segment files
one by one. Only an edge's API key may call these (a key named `edge <site id>`); users are
refused. Idempotent by the edges' deterministic ids, so replays after an outage are safe.
Not audited per item (it would flood the audit log); each request logs a summary.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ErrorBody, Input
from vigil.errors import PermissionDeniedError, VigilError
from vigil.hub.ingest import (
    MAX_SEGMENT_BYTES,
    MAX_SNAPSHOT_BYTES,
    SNAPSHOTS_BUCKET,
    AlertIn,
    EventIn,
    FaceIn,
    HeartbeatIn,
    IngestService,
    Outcome,
    SegmentUpload,
    UploadError,
)
from vigil.model.times import AwareInstant
from vigil.storage.base import plain_key

log = logging.getLogger(__name__)

router = APIRouter(prefix="/ingest", tags=["ingest"])

_EDGE_KEY_NAME = re.compile(r"edge[ :_-]+([a-z0-9][a-z0-9_-]{0,62})")
_EDGE_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"


async def edge_key(principal: CurrentUser) -> str:
    """The edge (site id) the calling API key belongs to; anything else is refused."""
    if principal.kind != "api_key":
        raise PermissionDeniedError("only an edge's API key may send to /ingest; users cannot")
    match = _EDGE_KEY_NAME.fullmatch(principal.username.removeprefix("key:").strip().lower())
    if match is None:
        raise PermissionDeniedError(
            "this API key is not an edge key: create one named 'edge <site id>' for each edge"
        )
    if principal.role == "viewer":
        raise PermissionDeniedError("an edge key needs the operator role; this one is a viewer")
    return match.group(1)


edge_key.minimum_role = "edge"  # type: ignore[attr-defined]  # read by the role-matrix test
EdgeId = Annotated[str, Depends(edge_key)]


class IngestUnavailableError(VigilError):
    status_code = 503


_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "This server receives no uplinks"}
}


def _service(services: Services) -> IngestService:
    if services.ingest is None:
        raise IngestUnavailableError("this server does not receive edge uplinks")
    return services.ingest


class _Item(Input):
    seq: int = Field(ge=0, description="The edge's queue position (order of arrival).")
    id: str = Field(min_length=1, max_length=300, description="Deterministic item id.")
    enqueued_at: AwareInstant


class EventItem(_Item):
    kind: Literal["event"]
    body: EventIn


class AlertItem(_Item):
    kind: Literal["alert"]
    body: AlertIn


class HeartbeatItem(_Item):
    kind: Literal["heartbeat"]
    body: HeartbeatIn


class FaceItem(_Item):
    kind: Literal["face"]
    body: FaceIn


Item = Annotated[EventItem | AlertItem | HeartbeatItem | FaceItem, Field(discriminator="kind")]


class IngestBatch(Input):
    edge_id: str = Field(pattern=_EDGE_ID, examples=["site-12"])
    items: list[Item] = Field(max_length=1000)


class ItemResult(BaseModel):
    seq: int
    id: str
    outcome: Outcome


class BatchResult(BaseModel):
    edge_id: str
    received: int
    created: int
    updated: int = Field(description="Alerts the edge moved on (acknowledged, resolved).")
    duplicates: int = Field(description="Items the hub had already: replays change nothing.")
    results: list[ItemResult]


class StoredFile(BaseModel):
    key: str
    size_bytes: int
    outcome: Outcome


@router.post("/batch", responses=_UNAVAILABLE)
async def ingest_batch(body: IngestBatch, services: Services, edge: EdgeId) -> BatchResult:
    """Events, alerts, heartbeats and faces from one edge, in its queue order, stored in one
    transaction. Replays are harmless; alerts at the hub are never moved backwards."""
    if body.edge_id != edge:
        raise PermissionDeniedError(f"this API key belongs to edge {edge!r}, not {body.edge_id!r}")
    for n, item in enumerate(body.items):
        if isinstance(item, HeartbeatItem) and item.body.edge_id != edge:
            raise PermissionDeniedError(
                f"items[{n}].body.edge_id: {item.body.edge_id!r} is not this key's edge {edge!r}"
            )
    outcomes = await _service(services).records([i.body for i in body.items])
    results = [
        ItemResult(seq=i.seq, id=i.id, outcome=o) for i, o in zip(body.items, outcomes, strict=True)
    ]
    result = BatchResult(
        edge_id=edge,
        received=len(results),
        created=outcomes.count("created"),
        updated=outcomes.count("updated"),
        duplicates=outcomes.count("duplicate"),
        results=results,
    )
    log.info("uplink from %s: %d items (%d new, %d updated, %d already here)",
             edge, result.received, result.created, result.updated, result.duplicates)  # fmt: skip
    return result


def _body_doc(what: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": f"The {what}; Content-Length and X-Content-SHA256 are required.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }


_FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    **_UNAVAILABLE,
    507: {"model": ErrorBody, "description": "The object store failed"},
}
Sha256 = Annotated[str, Header(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the body.")]
CameraId = Annotated[str, Query(min_length=1, max_length=200)]


def _checked_upload(key: str, camera_id: str, suffix: str, limit: int, request: Request) -> int:
    """Refuse keys that are not `<camera_id>/…/<name><suffix>` in plain names (no `..`, no
    backslash, nothing absolute); returns the Content-Length."""
    if not plain_key(key) or not key.startswith(f"{camera_id}/") or not key.endswith(suffix):
        raise UploadError(
            f"key {key!r}: must be '<camera_id>/…/<name>{suffix}' in letters, digits, '.', "
            f"'_', '-' (camera_id is {camera_id!r})"
        )
    length = request.headers.get("content-length", "")
    if not length.isdigit() or not 0 < int(length) <= limit:
        raise UploadError(f"Content-Length must be 1..{limit} bytes, got {length!r}")
    return int(length)


@router.put("/segments/{key:path}", responses=_FILE_ANSWERS, openapi_extra=_body_doc("segment"))
async def put_segment(
    key: Annotated[str, PathParam(max_length=500, examples=["gate/2026/11/02/18/gate-x.mp4"])],
    request: Request,
    services: Services,
    edge: EdgeId,
    camera_id: CameraId,
    start: Annotated[AwareInstant, Query()],
    end: Annotated[AwareInstant, Query()],
    x_content_sha256: Sha256,
    keyframe_count: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> StoredFile:
    """Store one recording segment (fragmented MP4) under the edge's object key, the same as
    in its local store, and index it."""
    service = _service(services)
    size = _checked_upload(key, camera_id, ".mp4", MAX_SEGMENT_BYTES, request)
    if end < start:
        raise UploadError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    upload = SegmentUpload(camera_id, key, start, end, keyframe_count, size, x_content_sha256)
    outcome = await service.segment(upload, request.stream())
    log.info("uplink from %s: segment %s (%d bytes) %s", edge, key, size, outcome)
    return StoredFile(key=key, size_bytes=size, outcome=outcome)


@router.put("/snapshots/{key:path}", responses=_FILE_ANSWERS, openapi_extra=_body_doc("JPEG"))
async def put_snapshot(
    key: Annotated[str, PathParam(max_length=500, examples=["gate/2026/11/02/e1.jpg"])],
    request: Request,
    services: Services,
    edge: EdgeId,
    camera_id: CameraId,
    x_content_sha256: Sha256,
) -> StoredFile:
    """Store an alert's snapshot under the edge's key (the event's `snapshot_key`)."""
    service = _service(services)
    size = _checked_upload(key, camera_id, ".jpg", MAX_SNAPSHOT_BYTES, request)
    outcome = await service.store_file(
        SNAPSHOTS_BUCKET, key, size, x_content_sha256, request.stream()
    )
    log.info("uplink from %s: snapshot %s %s", edge, key, outcome)
    return StoredFile(key=key, size_bytes=size, outcome=outcome)
