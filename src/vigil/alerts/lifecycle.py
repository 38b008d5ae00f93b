"""Alert lifecycle changes beyond acknowledgement: resolve, assign, notes.

Each change locks the alert row, writes, commits, and is pushed on the bus as `alert.updated`
by the caller (AlertService), like acknowledgement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.alerts.incidents import alert_view
from vigil.db.tables import Alert, AlertNote, Camera, User
from vigil.errors import ConflictError, NotFoundError
from vigil.model.messages import AlertView

MAX_NOTE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    alert_id: str
    author: str
    body: str
    created_at: datetime


def locked(session: Session, alert_id: uuid.UUID) -> tuple[Alert, str | None]:
    row = session.execute(
        select(Alert, Camera.name)
        .outerjoin(Camera, Camera.id == Alert.camera_id)
        .where(Alert.id == alert_id)
        .with_for_update(of=Alert)
    ).first()
    if row is None:
        raise NotFoundError(f"no alert {alert_id}")
    return row[0], row[1]


def resolve(
    session: Session, alert_id: uuid.UUID, username: str, now: datetime
) -> tuple[AlertView, bool]:
    """new/acknowledged -> resolved. Resolving twice is harmless."""
    alert, name = locked(session, alert_id)
    changed = alert.status != "resolved"
    if changed:
        if alert.acknowledged_at is None:  # resolving implies it was seen
            alert.acknowledged_at, alert.acknowledged_by = now, username
        alert.status = "resolved"
        alert.resolved_at, alert.resolved_by = now, username
        alert.updated_at = now
        session.commit()
    return alert_view(alert, name), changed


def assign(
    session: Session, alert_id: uuid.UUID, assignee: str | None, now: datetime
) -> tuple[AlertView, bool]:
    """Assign to an active user (by username, any case) or unassign with None."""
    alert, name = locked(session, alert_id)
    if alert.status == "resolved":
        raise ConflictError(f"alert {alert_id} is already resolved")
    username = None
    if assignee is not None:
        user = session.execute(
            select(User).where(func.lower(User.username) == assignee.lower())
        ).scalar_one_or_none()
        if user is None or not user.is_active:
            raise NotFoundError(f"no active user {assignee!r} to assign to")
        username = user.username
    changed = alert.assigned_to != username
    if changed:
        alert.assigned_to = username
        alert.assigned_at = now if username else None
        alert.updated_at = now
        session.commit()
    return alert_view(alert, name), changed


def add_note(
    session: Session, alert_id: uuid.UUID, author: str, body: str, now: datetime
) -> NoteView:
    text = body.strip()
    if not text:
        raise ConflictError("a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise ConflictError(f"a note is at most {MAX_NOTE_CHARS} characters")
    alert, _ = locked(session, alert_id)
    note = AlertNote(alert_id=alert.id, author=author, body=text, created_at=now)
    session.add(note)
    alert.updated_at = now
    session.flush()
    view = _note_view(note)
    session.commit()
    return view


def notes(session: Session, alert_id: uuid.UUID) -> list[NoteView]:
    if session.get(Alert, alert_id) is None:
        raise NotFoundError(f"no alert {alert_id}")
    rows = session.execute(
        select(AlertNote)
        .where(AlertNote.alert_id == alert_id)
        .order_by(AlertNote.created_at, AlertNote.id)
    ).scalars()
    return [_note_view(n) for n in rows]


def _note_view(note: AlertNote) -> NoteView:
    return NoteView(note.id, str(note.alert_id), note.author, note.body, note.created_at)
