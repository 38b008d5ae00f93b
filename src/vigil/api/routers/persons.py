"""Enrolled persons: a name, notes and face photos (each with exactly one face), whose
embeddings watchlists match camera faces against.

Faces are personal data: reading needs the operator role (as face search does), changing
needs an admin. Every change is audited.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from vigil.api.deps import Admin, Operator, Services, audit_success
from vigil.api.routers.faces import FacesUnavailableError
from vigil.api.schemas import ErrorBody, Input
from vigil.api.uploads import read_image
from vigil.errors import VigilError
from vigil.faces.persons import PersonRecord, PersonService, Photo
from vigil.faces.search import FaceSearch

router = APIRouter(prefix="/persons", tags=["persons"])
MAX_PHOTOS_PER_REQUEST = 10
PHOTO_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A photo is empty, damaged or malformed"},
    413: {"model": ErrorBody, "description": "A photo is over 10 MB or too many pixels"},
    415: {"model": ErrorBody, "description": "A file is not a JPEG, PNG or WebP (by content)"},
    422: {
        "model": ErrorBody,
        "description": "A photo has no face, several faces or an unusable face (detail names "
        "it by index and file name), or a field is invalid",
    },
    503: {"model": ErrorBody, "description": "Face models are not available here"},
}
PhotosField = Annotated[
    list[UploadFile],
    File(
        description=f"1 to {MAX_PHOTOS_PER_REQUEST} JPEG, PNG or WebP photos (<= 10 MB each), "
        "each showing exactly one face."
    ),
]


class PersonsUnavailableError(VigilError):
    status_code = 503


class FormFieldError(VigilError):
    status_code = 422


class WatchlistRefOut(BaseModel):
    id: str
    name: str


class PersonOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0f6f4e-8a53-4c55-9d43-2f8a3c1b7e10",
                    "name": "Eileen Collins",
                    "notes": "Banned from the premises since March",
                    "photos": 2,
                    "photos_to_reenrol": 0,
                    "watchlists": [
                        {"id": "0d1c3a34-6c7b-4f0f-a3c5-1f3f0d8f2a11", "name": "Banned"}
                    ],
                    "created_at": "2026-11-02T18:00:00Z",
                    "created_by": "admin",
                }
            ]
        }
    )

    id: str
    name: str
    notes: str | None
    photos: int = Field(description="Enrolled photos; fetch one at photos/{n}, n = 0..photos-1.")
    photos_to_reenrol: int = Field(
        0,
        description="Photos embedded by an older face model, which match nothing now (they are "
        "kept); upload them again to make this person matchable.",
    )
    watchlists: list[WatchlistRefOut]
    created_at: datetime
    created_by: str


class PersonUpdate(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000, description="null with the key: clear.")


def _out(record: PersonRecord) -> PersonOut:
    return PersonOut(
        id=record.id,
        name=record.name,
        notes=record.notes,
        photos=record.photos,
        photos_to_reenrol=record.photos_to_reenrol,
        watchlists=[WatchlistRefOut(id=w.id, name=w.name) for w in record.watchlists],
        created_at=record.created_at,
        created_by=record.created_by,
    )


def _persons(services: Services) -> PersonService:
    if services.persons is None:
        raise PersonsUnavailableError("persons are not available here")
    return services.persons


def _faces(services: Services) -> FaceSearch:
    if services.faces is None:
        raise FacesUnavailableError("face models are not available here")
    return services.faces


def _text(field: str, value: str | None, max_length: int) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        raise FormFieldError(f"{field}: must not contain NUL characters")
    value = value.strip()
    if len(value) > max_length:
        raise FormFieldError(f"{field}: at most {max_length} characters, got {len(value)}")
    return value


def _filename(upload: UploadFile) -> str | None:
    """The upload's own name, reduced to its last path part, printable, at most 200 chars."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or None


async def _photos(uploads: list[UploadFile]) -> list[Photo]:
    if not uploads:
        raise FormFieldError("photos: at least one photo is needed")
    if len(uploads) > MAX_PHOTOS_PER_REQUEST:
        raise FormFieldError(
            f"photos: at most {MAX_PHOTOS_PER_REQUEST} photos per request, got {len(uploads)}"
        )
    photos = []
    for i, upload in enumerate(uploads):
        name = _filename(upload)
        label = f"photos[{i}]" + (f" ({name})" if name else "")
        photos.append(Photo(i, name, await read_image(upload, field=label)))
    return photos


@router.get("")
async def list_persons(services: Services, _user: Operator) -> list[PersonOut]:
    """Every enrolled person, by name."""
    return [_out(r) for r in await asyncio.to_thread(_persons(services).all)]


@router.post("", status_code=201, responses=PHOTO_ERRORS)
async def enroll_person(
    request: Request,
    services: Services,
    admin: Admin,
    name: Annotated[str, Form(min_length=1, max_length=200, examples=["Eileen Collins"])],
    photos: PhotosField,
    notes: Annotated[str | None, Form(max_length=2000)] = None,
) -> PersonOut:
    """Enrol a person from 1-10 photos, each showing exactly one usable face. Nothing is
    stored unless every photo is good."""
    persons, faces = _persons(services), _faces(services)
    clean_name = _text("name", name, 200)
    if not clean_name:
        raise FormFieldError("name: must not be blank")
    clean_notes = _text("notes", notes, 2000)
    checked = await _photos(photos)
    person_id = await asyncio.to_thread(
        persons.enroll, faces, clean_name, clean_notes or None, checked, admin.username
    )
    await audit_success(
        services,
        request,
        admin,
        "persons.create",
        f"persons/{person_id}",
        {"name": clean_name, "photos": len(checked)},
    )
    return _out(await asyncio.to_thread(persons.get, person_id))


@router.get("/{person_id}", responses={404: {"model": ErrorBody}})
async def get_person(person_id: uuid.UUID, services: Services, _user: Operator) -> PersonOut:
    return _out(await asyncio.to_thread(_persons(services).get, str(person_id)))


@router.patch("/{person_id}", responses={404: {"model": ErrorBody}})
async def update_person(
    person_id: uuid.UUID, body: PersonUpdate, request: Request, services: Services, admin: Admin
) -> PersonOut:
    """Rename, or change the notes (send `"notes": null` to clear them)."""
    persons = _persons(services)
    changed = sorted(body.model_dump(exclude_unset=True))
    await asyncio.to_thread(
        persons.update,
        str(person_id),
        name=body.name,
        notes=body.notes,
        clear_notes="notes" in changed and body.notes is None,
    )
    await audit_success(
        services, request, admin, "persons.update", f"persons/{person_id}", {"changed": changed}
    )
    return _out(await asyncio.to_thread(persons.get, str(person_id)))


@router.delete("/{person_id}", status_code=204, responses={404: {"model": ErrorBody}})
async def delete_person(
    person_id: uuid.UUID, request: Request, services: Services, admin: Admin
) -> None:
    """Delete the person with their face embeddings and photos (and take them off every
    watchlist)."""
    name = await asyncio.to_thread(_persons(services).delete, str(person_id))
    await audit_success(
        services, request, admin, "persons.delete", f"persons/{person_id}", {"name": name}
    )


@router.post("/{person_id}/photos", responses={404: {"model": ErrorBody}, **PHOTO_ERRORS})
async def add_photos(
    person_id: uuid.UUID,
    request: Request,
    services: Services,
    admin: Admin,
    photos: PhotosField,
) -> PersonOut:
    """Add 1-10 more photos (same rules as enrolment; at most 30 in all)."""
    persons, faces = _persons(services), _faces(services)
    checked = await _photos(photos)
    await asyncio.to_thread(persons.add_photos, faces, str(person_id), checked)
    await audit_success(
        services,
        request,
        admin,
        "persons.photos.add",
        f"persons/{person_id}",
        {"photos": len(checked)},
    )
    return _out(await asyncio.to_thread(persons.get, str(person_id)))


@router.get(
    "/{person_id}/photos/{n}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        404: {"model": ErrorBody},
    },
)
async def get_photo(
    person_id: uuid.UUID,
    n: Annotated[int, Path(ge=0, le=1000, description="Photo number, 0-based.")],
    services: Services,
    _user: Operator,
) -> Response:
    """An enrolled photo as uploaded."""
    data, media_type = await asyncio.to_thread(_persons(services).photo, str(person_id), n)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, no-store"})
