"""Training data: operators upload labelled images; samples (uploads and the detector's
uncertain frames) are listed for labelling. Stored as JPEG + JSON in the training-data store."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from vigil.api.deps import CurrentUser, Operator, Services, audit_success
from vigil.api.schemas import ErrorBody
from vigil.api.uploads import read_image
from vigil.config import format_loc
from vigil.model.images import UploadError

router = APIRouter(prefix="/training", tags=["training"])
BUCKET = "training-data"


class Label(BaseModel):
    model_config = {"extra": "forbid"}

    class_: str = Field(alias="class", min_length=1, max_length=64)
    bbox: tuple[float, float, float, float] = Field(
        description="x1, y1, x2, y2 normalised to 0..1, origin top-left."
    )

    def check(self, index: int) -> None:
        x1, y1, x2, y2 = self.bbox
        if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
            raise UploadError(
                f"labels[{index}].bbox: need 0 <= x1 < x2 <= 1 and "
                f"0 <= y1 < y2 <= 1, got {list(self.bbox)}"
            )


_LABELS = TypeAdapter(list[Label])


class SampleOut(BaseModel):
    key: str
    source: Literal["uploads", "candidates"]
    created_at: datetime
    image_url: str
    meta: dict[str, Any]


def _parse_labels(raw: str | None) -> list[Label]:
    if not raw:
        return []
    try:
        labels = _LABELS.validate_json(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise UploadError(
            f"labels{format_loc(['', *first['loc']])[1:] if first['loc'] else ''}: {first['msg']}"
        ) from None
    for i, label in enumerate(labels):
        label.check(i)
    return labels


@router.post(
    "/upload",
    status_code=201,
    responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody}},
)
async def upload_sample(
    request: Request,
    services: Services,
    user: Operator,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP; at most 10 MB.")],
    labels: Annotated[
        str | None, Form(description='JSON: [{"class": "person", "bbox": [x1, y1, x2, y2]}]')
    ] = None,
    camera_id: Annotated[str | None, Form(max_length=64)] = None,
    note: Annotated[str | None, Form(max_length=1000)] = None,
) -> SampleOut:
    """Add an image (and optional boxes) to the training data."""
    image = await read_image(file)
    parsed = _parse_labels(labels)
    now = services.clock.now()
    stem = f"uploads/{now:%Y/%m/%d}/{uuid.uuid4()}"
    meta = {
        "source": "upload",
        "uploaded_by": user.username,
        "uploaded_at": now.isoformat(),
        "camera_id": camera_id,
        "note": note,
        "width": image.width,
        "height": image.height,
        "format": image.kind,
        "labels": [{"class": lb.class_, "bbox": list(lb.bbox)} for lb in parsed],
    }
    ext = {"jpeg": "jpg", "png": "png", "webp": "webp"}[image.kind]
    await asyncio.to_thread(services.store.put_bytes, BUCKET, f"{stem}.{ext}", image.data)
    await asyncio.to_thread(
        services.store.put_bytes, BUCKET, f"{stem}.json", json.dumps(meta).encode()
    )
    await audit_success(
        services, request, user, "training.upload", f"training/{stem}", {"labels": len(parsed)}
    )
    return SampleOut(
        key=f"{stem}.{ext}",
        source="uploads",
        created_at=now,
        image_url=f"/api/v1/training/samples/{stem}.{ext}",
        meta=meta,
    )


@router.get("/samples")
async def list_samples(
    services: Services,
    _user: CurrentUser,
    source: Literal["uploads", "candidates"] = "uploads",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SampleOut]:
    """Newest first."""

    def collect() -> list[SampleOut]:
        infos = [
            i for i in services.store.list(BUCKET, f"{source}/") if not i.key.endswith(".json")
        ]
        infos.sort(key=lambda i: i.key, reverse=True)
        out = []
        for info in infos[:limit]:
            stem = info.key.rsplit(".", 1)[0]
            try:
                meta = json.loads(services.store.get_bytes(BUCKET, f"{stem}.json"))
            except Exception:  # a sample without its sidecar is still listed
                meta = {}
            out.append(
                SampleOut(
                    key=info.key,
                    source=source,
                    created_at=info.modified,
                    image_url=f"/api/v1/training/samples/{info.key}",
                    meta=meta,
                )
            )
        return out

    return await asyncio.to_thread(collect)
