"""Watchlists: which enrolled persons raise an alert on which cameras, how severe, from what
similarity. The matching itself runs in the vision stage (`vigil.vision.watchlist`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigil.db.session import Database, row_by_id
from vigil.db.tables import Person, Watchlist, WatchlistPerson
from vigil.errors import VigilError


class WatchlistInputError(VigilError):
    status_code = 422


@dataclass(frozen=True, slots=True)
class WatchlistSpec:
    """What a client sets. `cameras` None: every camera."""

    name: str
    person_ids: list[uuid.UUID]
    cameras: list[str] | None
    severity: str
    threshold: float
    enabled: bool


@dataclass(frozen=True, slots=True)
class WatchlistRecord:
    id: str
    name: str
    person_ids: list[str]
    cameras: list[str] | None
    severity: str
    threshold: float
    enabled: bool
    created_at: datetime
    created_by: str
    updated_at: datetime


class WatchlistService:
    """Watchlists CRUD. Methods block (database): call them in a thread."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[WatchlistRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(Watchlist).order_by(Watchlist.name, Watchlist.id)).all()
            return [self._record(session, w) for w in rows]

    def get(self, watchlist_id: str) -> WatchlistRecord:
        with self._db.session() as session:
            return self._record(session, self._row(session, watchlist_id))

    def create(self, spec: WatchlistSpec, actor: str) -> WatchlistRecord:
        with self._db.session() as session:
            self._check_persons(session, spec.person_ids)
            row = Watchlist(
                id=uuid.uuid4(),
                name=spec.name,
                cameras=spec.cameras,
                severity=spec.severity,
                threshold=spec.threshold,
                enabled=spec.enabled,
                created_by=actor,
            )
            session.add(row)
            session.flush()
            self._set_persons(session, row.id, spec.person_ids)
            session.commit()
            session.refresh(row)  # server-set times
            return self._record(session, row)

    def replace(self, watchlist_id: str, spec: WatchlistSpec) -> WatchlistRecord:
        with self._db.session() as session:
            row = self._row(session, watchlist_id, for_update=True)
            self._check_persons(session, spec.person_ids)
            row.name, row.cameras, row.severity = spec.name, spec.cameras, spec.severity
            row.threshold, row.enabled = spec.threshold, spec.enabled
            session.execute(delete(WatchlistPerson).where(WatchlistPerson.watchlist_id == row.id))
            self._set_persons(session, row.id, spec.person_ids)
            session.commit()
            session.refresh(row)  # server-set times
            return self._record(session, row)

    def delete(self, watchlist_id: str) -> str:
        """Delete it (its person links go with it); returns its name."""
        with self._db.session() as session:
            row = self._row(session, watchlist_id)
            name = row.name
            session.delete(row)
            session.commit()
            return name

    @staticmethod
    def _row(session: Session, watchlist_id: str, for_update: bool = False) -> Watchlist:
        return row_by_id(session, Watchlist, watchlist_id, "watchlist", for_update=for_update)

    @staticmethod
    def _check_persons(session: Session, person_ids: list[uuid.UUID]) -> None:
        known = set(session.scalars(select(Person.id).where(Person.id.in_(person_ids))).all())
        for i, pid in enumerate(person_ids):
            if pid not in known:
                raise WatchlistInputError(f"person_ids[{i}]: no enrolled person {pid}")

    @staticmethod
    def _set_persons(
        session: Session, watchlist_id: uuid.UUID, person_ids: list[uuid.UUID]
    ) -> None:
        for pid in dict.fromkeys(person_ids):  # a person listed twice is on it once
            session.add(WatchlistPerson(watchlist_id=watchlist_id, person_id=pid))
        session.flush()

    @staticmethod
    def _record(session: Session, row: Watchlist) -> WatchlistRecord:
        persons = session.scalars(
            select(WatchlistPerson.person_id)
            .where(WatchlistPerson.watchlist_id == row.id)
            .order_by(WatchlistPerson.person_id)
        ).all()
        return WatchlistRecord(
            id=str(row.id),
            name=row.name,
            person_ids=[str(p) for p in persons],
            cameras=list(row.cameras) if row.cameras is not None else None,
            severity=row.severity,
            threshold=row.threshold,
            enabled=row.enabled,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
        )
