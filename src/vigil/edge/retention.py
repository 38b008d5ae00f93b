"""The recordings ring buffer: segments older than `retain_days` go, and while the disk has
less than `min_free_percent` free the oldest segments go too, oldest first across all
cameras (each camera keeps the same span of history), each file with its index row.

Only video segments are swept: event snapshots and clips (small, and referenced by alerts)
are kept, so those of unresolved alerts are never lost to retention.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import Segment
from vigil.errors import StorageError
from vigil.ops.metrics import retention_delete_failures_total
from vigil.storage.base import ObjectStore
from vigil.storage.recordings import BUCKET

logger = logging.getLogger(__name__)

_BATCH = 50


@dataclass(frozen=True, slots=True)
class SweepResult:
    expired: int  # segments removed for age
    evicted: int  # segments removed to keep the free-space floor
    freed_bytes: int
    floor_met: bool  # False: even with every segment gone the floor was not reached


class RetentionSweeper:
    """Call `sweep()` periodically (`run()` does, every `period_s`)."""

    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        clock: Clock,
        *,
        retain_days: float,
        min_free_percent: float,
        disk_dir: Path,
        usage: Callable[[Path], tuple[int, int, int]] = shutil.disk_usage,
        period_s: float = 60.0,
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self.retain = timedelta(days=retain_days)
        self.min_free_percent = min_free_percent
        self.disk_dir = disk_dir
        self._usage = usage
        self.period_s = period_s

    def sweep(self) -> SweepResult:
        cutoff = self._clock.now() - self.retain
        expired = evicted = freed = 0
        while batch := self._oldest(before_end=cutoff):
            removed, size = self._remove(batch)
            expired, freed = expired + removed, freed + size
            if removed == 0:
                break  # the store refuses deletes: try again at the next sweep
        while self._below_floor():
            batch = self._oldest(before_end=None)
            if not batch:
                logger.error(
                    "retention: disk still under %.0f%% free with no segments left to remove",
                    self.min_free_percent,
                )
                return SweepResult(expired, evicted, freed, floor_met=False)
            removed = 0
            for item in batch:  # one at a time: remove no more than the floor needs
                if removed and not self._below_floor():
                    break
                gone, size = self._remove([item])
                removed, freed = removed + gone, freed + size
            evicted += removed
            if removed == 0:
                return SweepResult(expired, evicted, freed, floor_met=False)
        if expired or evicted:
            logger.info(
                "retention: removed %d expired and %d segments for space (%.1f MB)",
                expired,
                evicted,
                freed / 1e6,
            )
        return SweepResult(expired, evicted, freed, floor_met=True)

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:  # retention must keep trying: the disk depends on it
                logger.exception("retention sweep failed")
            await self._clock.sleep(self.period_s)

    def _below_floor(self) -> bool:
        total, _used, free = self._usage(self.disk_dir)
        return total > 0 and 100.0 * free / total < self.min_free_percent

    def _oldest(self, before_end: datetime | None) -> list[tuple[int, str, int]]:
        """(id, key, size) of the oldest segments of all cameras, by start time."""
        query = select(Segment.id, Segment.key, Segment.size_bytes).order_by(
            Segment.start_at, Segment.id
        )
        if before_end is not None:
            query = query.where(Segment.end_at < before_end)
        with self._db.session() as session:
            return [(i, k, s) for i, k, s in session.execute(query.limit(_BATCH)).all()]

    def _remove(self, batch: list[tuple[int, str, int]]) -> tuple[int, int]:
        """Delete the files, then their rows (a row never points at a deleted file for
        longer than this call). A file whose delete failed keeps its row, so the next sweep
        tries it again; each failure counts in `retention_delete_failures_total`."""
        gone: list[int] = []
        freed = 0
        failed: list[str] = []
        first_error: Exception | None = None
        for seg_id, key, size in batch:
            try:
                self._store.delete(BUCKET, key)
            except (StorageError, OSError) as err:
                failed.append(key)
                first_error = first_error or err
                continue
            gone.append(seg_id)
            freed += size
        if failed:
            retention_delete_failures_total.inc(len(failed))
            logger.warning(
                "retention: could not delete %d segment(s) (first %s: %s); kept for the next sweep",
                len(failed),
                failed[0],
                first_error,
            )
        if gone:
            with self._db.session() as session:
                session.execute(delete(Segment).where(Segment.id.in_(gone)))
                session.commit()
        return len(gone), freed
