"""Clip export: a camera's recordings over [start, end) remuxed by stream copy (no re-encode)
into one MP4 in the `clips` bucket, with the SHA-256 of the stored file recorded so that a
copy can later be proven unaltered (`find_by_sha256`).

A stream copy can only start on a keyframe: the clip starts at the last keyframe at or before
`start` (segments start on keyframes, so there is always one) and may begin up to a GOP
early. Timestamps follow wall time from the clip's first frame, so a hole in the recordings
shows as a held frame of the hole's length. Exports run in a worker thread, one at a time
per service, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal

import av
import av.error
from sqlalchemy import select

from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import ClipExport, Segment
from vigil.db.tables.recordings import overlapping
from vigil.errors import NotFoundError, StorageError, VigilError, public_text
from vigil.storage import ObjectStore
from vigil.storage.remux import local_sources, remux_range

log = logging.getLogger(__name__)

CLIPS = "clips"
MAX_EXPORT = timedelta(hours=2)
_CHUNK = 1 << 20
ExportStatus = Literal["pending", "ready", "failed"]


class ExportRangeError(VigilError):
    status_code = 422


@dataclass(frozen=True, slots=True)
class ExportView:
    id: uuid.UUID
    camera_id: str
    start: datetime
    end: datetime
    status: ExportStatus
    created_by: str
    created_at: datetime
    size_bytes: int | None
    sha256: str | None
    error: str | None
    object_key: str | None


def _view(row: ClipExport) -> ExportView:
    return ExportView(
        row.id,
        row.camera_id,
        row.start_at,
        row.end_at,
        row.status,  # type: ignore[arg-type]  # only these three values are ever written
        row.created_by,
        row.created_at,
        row.size_bytes,
        row.sha256,
        row.error,
        row.object_key,
    )


def sha256_of(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class ExportService:
    """Creates, builds, lists and verifies clip exports."""

    def __init__(self, db: Database, store: ObjectStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._tasks: dict[asyncio.Task[None], uuid.UUID] = {}
        self._gate = asyncio.Semaphore(1)

    async def create(self, camera_id: str, start: datetime, end: datetime, user: str) -> ExportView:
        if start.tzinfo is None or end.tzinfo is None:
            raise ExportRangeError("start and end need a UTC offset, e.g. 2026-11-29T10:00:00Z")
        if end <= start:
            raise ExportRangeError("end must be after start")
        if end - start > MAX_EXPORT:
            raise ExportRangeError(
                f"a clip may span at most {MAX_EXPORT.total_seconds() / 3600:g} h;"
                f" this one spans {(end - start).total_seconds() / 3600:.2f} h"
            )
        view = await asyncio.to_thread(self._create, camera_id, start, end, user)
        task = asyncio.create_task(self._build(view.id), name=f"export-{view.id}")
        self._tasks[task] = view.id
        task.add_done_callback(lambda t: self._tasks.pop(t, None))
        return view

    def _create(self, camera_id: str, start: datetime, end: datetime, user: str) -> ExportView:
        with self._db.session() as session:
            has_video = session.scalar(
                select(Segment.id).where(overlapping(camera_id, start, end)).limit(1)
            )
            if has_video is None:
                raise ExportRangeError(
                    f"camera {camera_id!r} has no recordings between {start.isoformat()}"
                    f" and {end.isoformat()}"
                )
            row = ClipExport(
                id=uuid.uuid4(),
                camera_id=camera_id,
                start_at=start,
                end_at=end,
                status="pending",
                created_by=user,
                created_at=self._clock.now(),
            )
            session.add(row)
            session.commit()
            return _view(row)

    async def _build(self, export_id: uuid.UUID) -> None:
        async with self._gate:
            try:
                await asyncio.to_thread(self._make, export_id)
            except Exception as err:
                log.exception("export %s failed", export_id)
                reason = getattr(err, "detail", None) or f"{type(err).__name__}: {err}"
                error = public_text(str(reason))[:500]  # shown to users: no server paths
                await asyncio.to_thread(self._finish, export_id, error=error)

    def _make(self, export_id: uuid.UUID) -> None:
        with self._db.session() as session:
            row = session.get(ClipExport, export_id)
            assert row is not None
            camera_id, start, end = row.camera_id, row.start_at, row.end_at
            segments = session.execute(
                select(Segment.key, Segment.start_at)
                .where(overlapping(camera_id, start, end))
                .order_by(Segment.start_at)
            ).all()
        key = f"exports/{camera_id}/{start:%Y/%m/%d}/{export_id}.mp4"
        with tempfile.TemporaryDirectory(prefix="vigil-export-") as tmp:
            sources = local_sources(self._store, segments, Path(tmp))
            out = Path(tmp) / "clip.mp4"
            try:
                packets = remux_range(sources, start, end, out)
            except av.error.FFmpegError as err:
                raise ExportRangeError(f"a recorded segment cannot be read: {err}") from err
            if packets == 0:
                raise ExportRangeError("the recordings hold no video in this range")
            size = out.stat().st_size
            with out.open("rb") as fh:
                digest = sha256_of(fh)
            self._store.put_file(CLIPS, key, out, move=True)
        self._finish(export_id, key=key, size=size, sha256=digest)
        log.info("export %s ready: %d bytes, sha256 %s", export_id, size, digest)

    def _finish(
        self,
        export_id: uuid.UUID,
        *,
        key: str | None = None,
        size: int | None = None,
        sha256: str | None = None,
        error: str | None = None,
    ) -> None:
        with self._db.session() as session:
            row = session.get(ClipExport, export_id)
            if row is None:
                return
            row.status = "failed" if error else "ready"
            row.object_key, row.size_bytes, row.sha256, row.error = key, size, sha256, error
            row.finished_at = self._clock.now()
            session.commit()

    async def get(self, export_id: uuid.UUID) -> ExportView:
        view = await asyncio.to_thread(self._get, export_id)
        if view is None:
            raise NotFoundError(f"no export {export_id}")
        return view

    def _get(self, export_id: uuid.UUID) -> ExportView | None:
        with self._db.session() as session:
            row = session.get(ClipExport, export_id)
            return _view(row) if row is not None else None

    async def list_for(self, created_by: str | None, limit: int) -> list[ExportView]:
        """Newest first; `created_by` None lists everyone's."""
        return await asyncio.to_thread(self._list, created_by, limit)

    def _list(self, created_by: str | None, limit: int) -> list[ExportView]:
        query = select(ClipExport).order_by(ClipExport.created_at.desc()).limit(limit)
        if created_by is not None:
            query = query.where(ClipExport.created_by == created_by)
        with self._db.session() as session:
            return [_view(r) for r in session.scalars(query)]

    async def find_by_sha256(self, digest: str) -> list[ExportView]:
        return await asyncio.to_thread(self._find, digest)

    def _find(self, digest: str) -> list[ExportView]:
        with self._db.session() as session:
            rows = session.scalars(
                select(ClipExport)
                .where(ClipExport.sha256 == digest, ClipExport.status == "ready")
                .order_by(ClipExport.created_at)
            )
            return [_view(r) for r in rows]

    def file(self, view: ExportView) -> tuple[Path | None, bytes | None]:
        """The stored clip: a local path, or its bytes when the store is remote."""
        if view.object_key is None:
            raise NotFoundError(f"export {view.id} has no file (status {view.status})")
        try:
            path = self._store.local_path(CLIPS, view.object_key)
            return (
                (path, None)
                if path is not None
                else (None, self._store.get_bytes(CLIPS, view.object_key))
            )
        except StorageError as err:
            raise NotFoundError(f"the file of export {view.id} is gone: {err.detail}") from err

    async def close(self) -> None:
        """Cancel exports in progress (at shutdown); they are marked failed, to be redone."""
        running = dict(self._tasks)
        for task in running:
            task.cancel()
        for task, export_id in running.items():
            with contextlib.suppress(BaseException):
                await task
            if not task.cancelled():
                continue  # it finished first
            await asyncio.to_thread(
                self._finish, export_id, error="interrupted: the server stopped; export again"
            )
