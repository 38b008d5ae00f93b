"""Face search: by an uploaded photo, or by a stored face embedding.

Operators and admins only: finding one person across cameras is more intrusive than viewing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

import cv2
import numpy as np
from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from vigil.api.deps import Operator, Services
from vigil.api.schemas import ErrorBody
from vigil.api.uploads import read_image
from vigil.errors import VigilError
from vigil.faces.search import FaceMatch, FaceSearch
from vigil.model.images import UploadError

router = APIRouter(prefix="/search/faces", tags=["faces"])


class FacesUnavailableError(VigilError):
    status_code = 503


class PersonRef(BaseModel):
    id: str
    name: str


class FaceMatchOut(BaseModel):
    id: str = Field(description="Face embedding id (search again with it).")
    camera_id: str
    track_id: int | None
    captured_at: datetime
    similarity: float = Field(
        description="Cosine similarity, 1 = identical; same person >= 0.4 (SFace)."
    )
    quality: float | None
    person: PersonRef | None = Field(
        None, description="The enrolled person this face was matched to when it was stored."
    )


def _search(services: Services) -> FaceSearch:
    faces = services.faces
    if faces is None:
        raise FacesUnavailableError("face search is not available here")
    return faces


def _from(m: FaceMatch) -> FaceMatchOut:
    return FaceMatchOut(
        id=m.id,
        camera_id=m.camera_id,
        track_id=m.track_id,
        captured_at=m.captured_at,
        similarity=m.similarity,
        quality=m.quality,
        person=(
            PersonRef(id=m.person_id, name=m.person_name)
            if m.person_id is not None and m.person_name is not None
            else None
        ),
    )


@router.post(
    "",
    responses={
        400: {"model": ErrorBody},
        413: {"model": ErrorBody},
        415: {"model": ErrorBody},
        503: {"model": ErrorBody},
    },
)
async def search_by_image(
    services: Services,
    user: Operator,
    image: Annotated[UploadFile, File(description="JPEG, PNG or WebP with a face; <= 10 MB.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[FaceMatchOut]:
    """Stored faces nearest to the best face in the photo, most similar first (422 when the
    photo has no usable face, with the reason)."""
    search = _search(services)
    upload = await read_image(image, field="image")
    pixels = cv2.imdecode(np.frombuffer(upload.data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise UploadError("image: the picture could not be decoded")
    matches = await asyncio.to_thread(
        search.by_image, np.asarray(pixels, np.uint8), limit=limit, cameras=user.cameras
    )
    return [_from(m) for m in matches]


@router.get("/{embedding_id}", responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def search_by_embedding(
    services: Services,
    user: Operator,
    embedding_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[FaceMatchOut]:
    """Stored faces nearest to a stored face (itself left out), most similar first."""
    search = _search(services)
    matches = await asyncio.to_thread(
        search.by_embedding, embedding_id, limit=limit, cameras=user.cameras
    )
    return [_from(m) for m in matches]
