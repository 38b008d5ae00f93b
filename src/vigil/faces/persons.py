"""Enrolled persons: named people with face photos, whose embeddings watchlists match against.

Every photo must show exactly one usable face; a batch is checked whole before anything is
stored, so a bad photo never leaves a half-enrolled person. Photos go to the object store
(bucket `persons`, `<person id>/<n>.<ext>`), embeddings to `person_faces` (pgvector), each with
the model that made it. Photos embedded by an older model (FaceNet, before migration 0013) are
kept but match nothing: a person's `photos_to_reenrol` counts them, and enrolling the photos
again (`add_photos`) makes the person matchable.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from vigil.clock import Clock
from vigil.db.session import Database, row_by_id
from vigil.db.tables import FaceEmbedding, Person, PersonFace, Watchlist, WatchlistPerson
from vigil.errors import NotFoundError, VigilError
from vigil.faces.search import FaceSearch
from vigil.model.images import ImageUpload
from vigil.storage import ObjectStore
from vigil.vision.faces import EMBEDDING_MODEL

BUCKET = "persons"
MAX_PHOTOS_PER_PERSON = 30
MAX_DETECT_SIDE_PX = 1600
_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
_MEDIA = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class EnrolmentError(VigilError):
    """A photo cannot be enrolled; the detail names it (index and file name) and says why."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class Photo:
    """One uploaded photo: its position in the request, its file name and checked bytes."""

    index: int
    filename: str | None
    image: ImageUpload

    @property
    def label(self) -> str:
        name = f" ({self.filename})" if self.filename else ""
        return f"photos[{self.index}]{name}"


@dataclass(frozen=True, slots=True)
class WatchlistRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: str
    name: str
    notes: str | None
    photos: int
    watchlists: list[WatchlistRef]
    photos_to_reenrol: int  # photos embedded by another model than the current one
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class _Enrolled:
    photo: Photo
    embedding: npt.NDArray[np.float32]
    quality: float
    model: str  # the embedder's name


def _bounded(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Shrink a big photo so its longer side is at most MAX_DETECT_SIDE_PX: face detection
    time grows with the pixels (a 40 MP upload would take many seconds), and an enrolment
    photo's face is large."""
    height, width = image.shape[:2]
    scale = MAX_DETECT_SIDE_PX / max(height, width)
    if scale >= 1.0:
        return image
    size = (round(width * scale), round(height * scale))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)


class PersonService:
    """Persons CRUD. Methods block (face models, database, store): call them in a thread."""

    def __init__(self, db: Database, store: ObjectStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock

    @staticmethod
    def _embed(faces: FaceSearch, photos: list[Photo]) -> list[_Enrolled]:
        detector, embedder = faces.models()
        out = []
        for photo in photos:
            found = detector.detect(_bounded(photo.image.decode()))
            # Faces YuNet itself is unsure of are noise (a pattern, a poster), not people.
            sure = [f for f in found if f.confidence >= detector.settings.min_confidence]
            if not sure:
                raise EnrolmentError(f"{photo.label}: no face found; each photo must show one")
            if len(sure) > 1:
                raise EnrolmentError(
                    f"{photo.label}: {len(sure)} faces found; each photo must show exactly one "
                    "person's face"
                )
            face = sure[0]
            if face.rejected is not None:
                raise EnrolmentError(f"{photo.label}: the face is not usable: {face.rejected}")
            out.append(_Enrolled(photo, embedder.embed(face.aligned), face.quality, embedder.name))
        return out

    def enroll(
        self, faces: FaceSearch, name: str, notes: str | None, photos: list[Photo], actor: str
    ) -> str:
        """Create a person from photos (each with exactly one usable face); returns the id."""
        enrolled = self._embed(faces, photos)
        person_id = uuid.uuid4()
        with self._db.session() as session:
            session.add(Person(id=person_id, name=name, notes=notes, created_by=actor))
            session.flush()
            self._add_faces(session, person_id, enrolled, first=0)
            session.commit()
        return str(person_id)

    def add_photos(self, faces: FaceSearch, person_id: str, photos: list[Photo]) -> None:
        with self._db.session() as session:
            pid = row_by_id(session, Person, person_id, "person").id
        enrolled = self._embed(faces, photos)
        with self._db.session() as session:
            person = row_by_id(session, Person, person_id, "person", for_update=True)
            count, last = session.execute(
                select(func.count(), func.max(PersonFace.n)).where(PersonFace.person_id == pid)
            ).one()
            if count + len(enrolled) > MAX_PHOTOS_PER_PERSON:
                raise EnrolmentError(
                    f"photos: {person.name} has {count} photo(s); at most "
                    f"{MAX_PHOTOS_PER_PERSON} in all"
                )
            self._add_faces(session, pid, enrolled, first=(last + 1) if last is not None else 0)
            person.updated_at = self._clock.now()
            session.commit()

    def _add_faces(
        self, session: Session, person_id: uuid.UUID, enrolled: list[_Enrolled], first: int
    ) -> None:
        for n, item in enumerate(enrolled, start=first):
            key = f"{person_id}/{n}.{_EXT[item.photo.image.kind]}"
            self._store.put_bytes(BUCKET, key, item.photo.image.data)
            session.add(
                PersonFace(
                    person_id=person_id,
                    n=n,
                    embedding=[float(v) for v in item.embedding],
                    embedding_model=item.model,
                    quality=float(item.quality),
                    photo_key=key,
                    filename=item.photo.filename,
                )
            )

    def all(self) -> list[PersonRecord]:
        with self._db.session() as session:
            persons = session.scalars(select(Person).order_by(Person.name, Person.id)).all()
            return self._records(session, persons)

    def get(self, person_id: str) -> PersonRecord:
        with self._db.session() as session:
            person = row_by_id(session, Person, person_id, "person")
            return self._records(session, [person])[0]

    def update(
        self, person_id: str, *, name: str | None, notes: str | None, clear_notes: bool
    ) -> None:
        with self._db.session() as session:
            person = row_by_id(session, Person, person_id, "person")
            if name is not None:
                person.name = name
            if notes is not None or clear_notes:
                person.notes = notes
            person.updated_at = self._clock.now()
            session.commit()

    def delete(self, person_id: str) -> str:
        """Remove the person, their embeddings (cascade) and photos; returns their name."""
        with self._db.session() as session:
            person = row_by_id(session, Person, person_id, "person")
            pid, name = person.id, person.name
            keys = session.scalars(
                select(PersonFace.photo_key).where(PersonFace.person_id == pid)
            ).all()
            session.execute(
                update(FaceEmbedding).where(FaceEmbedding.person_id == pid).values(person_id=None)
            )
            session.execute(delete(Person).where(Person.id == pid))
            session.commit()
        for key in keys:  # after the commit: a failed delete leaves an orphan file, not a row
            self._store.delete(BUCKET, key)
        return name

    def photo(self, person_id: str, n: int) -> tuple[bytes, str]:
        """The enrolled photo `n` (0-based) of a person and its media type."""
        with self._db.session() as session:
            key = session.scalar(
                select(PersonFace.photo_key).where(
                    PersonFace.person_id == self._id(person_id), PersonFace.n == n
                )
            )
        if key is None:
            raise NotFoundError(f"person {person_id} has no photo {n}")
        # The key comes from our own table (uuid/n.ext), never from the request path.
        return self._store.get_bytes(BUCKET, key), _MEDIA[key.rsplit(".", 1)[1]]

    @staticmethod
    def _id(person_id: str) -> uuid.UUID:
        try:
            return uuid.UUID(person_id)
        except ValueError:
            raise NotFoundError(f"no person {person_id}") from None

    def _records(self, session: Session, persons: Sequence[Person]) -> list[PersonRecord]:
        ids = [p.id for p in persons]
        counts = dict(
            session.execute(
                select(PersonFace.person_id, func.count())
                .where(PersonFace.person_id.in_(ids))
                .group_by(PersonFace.person_id)
            ).all()
        )
        stale = dict(
            session.execute(
                select(PersonFace.person_id, func.count())
                .where(PersonFace.person_id.in_(ids), PersonFace.embedding_model != EMBEDDING_MODEL)
                .group_by(PersonFace.person_id)
            ).all()
        )
        lists: dict[uuid.UUID, list[WatchlistRef]] = {}
        for pid, wid, wname in session.execute(
            select(WatchlistPerson.person_id, Watchlist.id, Watchlist.name)
            .join(Watchlist, Watchlist.id == WatchlistPerson.watchlist_id)
            .where(WatchlistPerson.person_id.in_(ids))
            .order_by(Watchlist.name)
        ).all():
            lists.setdefault(pid, []).append(WatchlistRef(str(wid), wname))
        return [
            PersonRecord(
                id=str(p.id),
                name=p.name,
                notes=p.notes,
                photos=int(counts.get(p.id, 0)),
                watchlists=lists.get(p.id, []),
                photos_to_reenrol=int(stale.get(p.id, 0)),
                created_at=p.created_at,
                created_by=p.created_by,
            )
            for p in persons
        ]
