"""Where the receiving side of heartbeats keeps each edge's state: last contact, last beat,
and the open OFFLINE alert.

`MemoryEdgeState` serves one process (`vigil up`, an edge watching itself: cheap, forgotten
on restart). `DbEdgeState` keeps it in the `edges` table, so every hub replica sees the same
edges, a restarted hub remembers them, and an edge going silent is marked OFFLINE by exactly
one replica: the mark is a conditional UPDATE ... RETURNING, which only one of two racing
replicas can win (the loser re-reads the row after the winner's commit and no longer matches).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vigil.db.session import Database
from vigil.db.tables import Edge
from vigil.model.messages import Heartbeat


@dataclass(frozen=True, slots=True)
class EdgeStatus:
    edge_id: str
    online: bool
    last_seen: datetime  # when the receiving side last heard from it (its clock)
    last_beat: Heartbeat


def offline_key(edge_id: str, at: datetime) -> str:
    """The incident key of the edge_offline alert raised for `edge_id` at `at`."""
    return f"edge_offline:{edge_id}:{at:%Y%m%dT%H%M%S}"


@dataclass(frozen=True, slots=True)
class WentOffline:
    """An edge this caller (alone) marked OFFLINE; it raises the alert under `alert_key`."""

    edge_id: str
    last_seen: datetime
    alert_key: str


class EdgeState(Protocol):
    def record(self, beat: Heartbeat, now: datetime) -> str | None:
        """Store `beat`, heard at `now`; returns the OFFLINE alert key it clears (the edge
        was OFFLINE until now), else None."""
        ...

    def mark_offline(self, now: datetime, silence: timedelta) -> list[WentOffline]:
        """Mark OFFLINE each edge silent for more than `silence` that is not yet; each such
        edge is returned to exactly one caller, however many check at once."""
        ...

    def edges(self) -> list[EdgeStatus]:
        """Every edge heard from, by id."""
        ...

    def online(self, edge_id: str) -> bool: ...


class MemoryEdgeState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._edges: dict[str, EdgeStatus] = {}
        self._offline: dict[str, str] = {}  # edge -> open OFFLINE alert key

    def record(self, beat: Heartbeat, now: datetime) -> str | None:
        with self._lock:
            self._edges[beat.edge_id] = EdgeStatus(beat.edge_id, True, now, beat)
            return self._offline.pop(beat.edge_id, None)

    def mark_offline(self, now: datetime, silence: timedelta) -> list[WentOffline]:
        marked = []
        with self._lock:
            for edge_id, status in self._edges.items():
                if edge_id not in self._offline and now - status.last_seen > silence:
                    key = self._offline[edge_id] = offline_key(edge_id, now)
                    marked.append(WentOffline(edge_id, status.last_seen, key))
        return marked

    def edges(self) -> list[EdgeStatus]:
        with self._lock:
            return [
                replace(status, online=edge_id not in self._offline)
                for edge_id, status in sorted(self._edges.items())
            ]

    def online(self, edge_id: str) -> bool:
        with self._lock:
            return edge_id in self._edges and edge_id not in self._offline


class DbEdgeState:
    """The `edges` table; each call is one short transaction (call it off the event loop)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, beat: Heartbeat, now: datetime) -> str | None:
        values = {
            "last_seen": now,
            "beat_at": beat.timestamp,
            "stream_count": beat.stream_count,
            "disk_free_bytes": beat.disk_free,
            "mem_usage_percent": beat.mem_usage,
            "queue_depth": beat.queue_depth,
        }
        with self._db.session() as session:
            # The row lock orders this beat against a replica marking the edge OFFLINE.
            cleared = session.execute(
                select(Edge.offline_alert_key).where(Edge.edge_id == beat.edge_id).with_for_update()
            ).scalar_one_or_none()
            session.execute(
                pg_insert(Edge)
                .values(edge_id=beat.edge_id, **values)
                .on_conflict_do_update(
                    index_elements=[Edge.edge_id],
                    set_={**values, "offline_alert_key": None, "offline_since": None},
                )
            )
            session.commit()
        return cleared

    def mark_offline(self, now: datetime, silence: timedelta) -> list[WentOffline]:
        stamp = f"{now:%Y%m%dT%H%M%S}"
        with self._db.session() as session:
            rows = session.execute(
                update(Edge)
                .where(Edge.offline_alert_key.is_(None), Edge.last_seen < now - silence)
                .values(
                    offline_alert_key=func.concat("edge_offline:", Edge.edge_id, ":", stamp),
                    offline_since=now,
                )
                .returning(Edge.edge_id, Edge.last_seen, Edge.offline_alert_key)
            ).all()
            session.commit()
        return [WentOffline(edge_id, seen, key) for edge_id, seen, key in rows if key]

    def edges(self) -> list[EdgeStatus]:
        with self._db.session() as session:
            rows = session.scalars(select(Edge).order_by(Edge.edge_id)).all()
            return [_status(row) for row in rows]

    def online(self, edge_id: str) -> bool:
        with self._db.session() as session:
            key = session.execute(
                select(Edge.offline_alert_key).where(Edge.edge_id == edge_id)
            ).first()
        return key is not None and key[0] is None


def _status(row: Edge) -> EdgeStatus:
    beat = Heartbeat(
        edge_id=row.edge_id,
        timestamp=row.beat_at,
        stream_count=row.stream_count,
        disk_free=row.disk_free_bytes,
        mem_usage=row.mem_usage_percent,
        queue_depth=row.queue_depth,
    )
    return EdgeStatus(row.edge_id, row.offline_alert_key is None, row.last_seen, beat)
