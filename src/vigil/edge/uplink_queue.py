"""The uplink's durable store-and-forward queue: what the hub has not yet acknowledged.

sqlite3 from the standard library, in WAL mode with `synchronous=FULL`: every `put` is on disk
when it returns (a kill -9 or a power cut loses nothing that was accepted), readers never block
the one writer, and a crash mid-transaction rolls back cleanly. A hand-written append log would
need its own framing, fsync and compaction; a broker (Kafka, Redis) is exactly what an edge on
a flaky WAN cannot count on. Items leave the queue only when the hub answered 2xx for them.

Bounded by `max_items` and `max_bytes` (bytes of the stored JSON bodies; segment and snapshot
files stay in the local store). When full: heartbeats go first (only the newest matters; a new
heartbeat always replaces the queued one), then the oldest segment uploads (the local ring
buffer still holds the video), then the oldest alert snapshots, then the oldest faces (they
stay in the edge's database); events and alerts are never dropped: a new one is refused.

Faces are taken from the edge's `face_embeddings` table after a cursor kept here (`meta`),
queued and moved on in one transaction, so a restart neither skips nor repeats one; they only
fill up to half the bounds (`put_faces`): the rest waits in the database, not in the queue.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal

Kind = Literal["event", "alert", "heartbeat", "segment", "snapshot", "face"]
KINDS: Final[tuple[Kind, ...]] = ("event", "alert", "heartbeat", "segment", "snapshot", "face")
# Files (segments, alert snapshots) stay in the local store, faces in the local database; only
# their upload is lost.
_DROPPABLE: Final[tuple[Kind, ...]] = ("heartbeat", "segment", "snapshot", "face")  # this order
FILE_KINDS: Final[tuple[Kind, ...]] = ("segment", "snapshot")  # uploaded as files

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'alert', 'heartbeat', 'segment', 'snapshot',
                                       'face')),
    item_id TEXT NOT NULL,
    body TEXT NOT NULL,
    object_key TEXT,
    size_bytes INTEGER NOT NULL,
    enqueued_at TEXT NOT NULL,
    UNIQUE (kind, item_id)
);
CREATE INDEX IF NOT EXISTS ix_items_kind_seq ON items (kind, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Queue files written before faces were sent refuse kind 'face' (their CHECK): rebuilt on open.
_WIDEN = (
    """
ALTER TABLE items RENAME TO items_old;
DROP INDEX IF EXISTS ix_items_kind_seq;
"""
    + _SCHEMA
    + """
INSERT INTO items SELECT * FROM items_old;
DELETE FROM sqlite_sequence WHERE name = 'items';
INSERT INTO sqlite_sequence (name, seq) SELECT 'items', seq FROM sqlite_sequence
    WHERE name = 'items_old';
DROP TABLE items_old;
"""
)
FACE_CURSOR = "face_cursor"


class Put(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"  # the same (kind, id) is already waiting
    DROPPED = "dropped"  # a heartbeat or segment that did not fit
    REFUSED = "refused"  # an event or alert that did not fit: the queue is full of them


@dataclass(frozen=True, slots=True)
class QueueItem:
    seq: int  # order of arrival, strictly increasing, never reused
    kind: Kind
    id: str  # deterministic: the hub deduplicates by it
    body: dict[str, Any]
    object_key: str | None  # segments, snapshots: key in the local store
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class PutResult:
    outcome: Put
    evicted: dict[str, int]  # kind -> items removed to make room (or replaced heartbeats)


class UplinkQueue:
    """Thread-safe (one lock around one connection); every method runs in the caller's thread,
    so async code calls it through `asyncio.to_thread`."""

    def __init__(self, path: Path, *, max_items: int = 100_000, max_bytes: int = 256 << 20):
        if max_items < 1 or max_bytes < 1:
            raise ValueError(f"queue bounds must be >= 1, got {max_items} items, {max_bytes} B")
        self.path = path
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        old = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'"
        ).fetchone()
        if old is not None and "'face'" not in old[0]:
            try:
                self._conn.executescript(f"BEGIN IMMEDIATE;{_WIDEN}COMMIT;")
            except sqlite3.Error:
                if self._conn.in_transaction:  # all or nothing: the old file stays as it was
                    self._conn.execute("ROLLBACK")
                raise
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def put(
        self,
        kind: Kind,
        item_id: str,
        body: dict[str, Any],
        enqueued_at: datetime,
        object_key: str | None = None,
    ) -> PutResult:
        """Append one item, durably, making room by the drop order when the queue is full."""
        if kind not in KINDS:
            raise ValueError(f"unknown uplink item kind {kind!r}; expected one of {KINDS}")
        text = json.dumps(body, separators=(",", ":"), default=str)
        size = len(text.encode())
        evicted: dict[str, int] = {}
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            seen = self._conn.execute(
                "SELECT 1 FROM items WHERE kind = ? AND item_id = ?", (kind, item_id)
            ).fetchone()
            if seen:
                return PutResult(Put.DUPLICATE, evicted)
            if kind == "heartbeat":  # only the newest heartbeat matters
                gone = self._conn.execute("DELETE FROM items WHERE kind = 'heartbeat'").rowcount
                if gone:
                    evicted["heartbeat"] = gone
            count, used = self._usage()
            for victim in _DROPPABLE:
                while count + 1 > self.max_items or used + size > self.max_bytes:
                    row = self._conn.execute(
                        "SELECT seq, size_bytes FROM items WHERE kind = ? ORDER BY seq LIMIT 1",
                        (victim,),
                    ).fetchone()
                    if row is None:
                        break
                    self._conn.execute("DELETE FROM items WHERE seq = ?", (row[0],))
                    evicted[victim] = evicted.get(victim, 0) + 1
                    count, used = count - 1, used - int(row[1])
            if count + 1 > self.max_items or used + size > self.max_bytes:
                return PutResult(Put.DROPPED if kind in _DROPPABLE else Put.REFUSED, evicted)
            self._conn.execute(
                "INSERT INTO items (kind, item_id, body, object_key, size_bytes, enqueued_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, item_id, text, object_key, size, enqueued_at.isoformat()),
            )
            return PutResult(Put.QUEUED, evicted)

    def put_faces(self, faces: list[tuple[str, dict[str, Any], str]], enqueued_at: datetime) -> int:
        """Queue faces (id, body, cursor after it) in order and move the face cursor past the
        last one queued, in one transaction. Faces never make room for themselves: they stop at
        half the bounds, and the rest stays in the database until there is room. Returns how
        many were taken (queued, or already waiting)."""
        taken = 0
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            count, used = self._usage()
            for item_id, body, _ in faces:
                text = json.dumps(body, separators=(",", ":"))
                size = len(text.encode())
                if count + 1 > self.max_items // 2 or used + size > self.max_bytes // 2:
                    break
                added = self._conn.execute(
                    "INSERT OR IGNORE INTO items (kind, item_id, body, object_key, size_bytes,"
                    " enqueued_at) VALUES ('face', ?, ?, NULL, ?, ?)",
                    (item_id, text, size, enqueued_at.isoformat()),
                ).rowcount
                count, used = count + added, used + size * added
                taken += 1
            if taken:
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (FACE_CURSOR, faces[taken - 1][2]),
                )
        return taken

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def peek(self, limit: int) -> list[QueueItem]:
        """The oldest `limit` items, in order; they stay queued until `remove`."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, kind, item_id, body, object_key, enqueued_at FROM items"
                " ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            QueueItem(seq, kind, item_id, json.loads(body), key, datetime.fromisoformat(at))
            for seq, kind, item_id, body, key, at in rows
        ]

    def remove(self, seqs: list[int]) -> None:
        """Forget items the hub acknowledged (unknown seqs are ignored)."""
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("DELETE FROM items WHERE seq = ?", [(s,) for s in seqs])

    def usage(self) -> tuple[int, int]:
        """(items, bytes) waiting."""
        with self._lock:
            return self._usage()

    def _usage(self) -> tuple[int, int]:
        count, used = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM items"
        ).fetchone()
        return int(count), int(used)
