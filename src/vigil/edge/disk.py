"""Watch the recordings disk: free space, and whether it still takes writes.

Every `period_s` the watch reads the free space (gauge `edge_disk_free_bytes`) and writes,
syncs and removes a small probe file. A disk below `min_free_bytes`, or one that refuses
the probe (full: ENOSPC; read-only: EROFS; any other OSError: not writable), raises one
alert through the normal alert path; when writes succeed again the alert is cleared and
resolved. Recording itself never waits on this: segments that cannot be written are lost
one at a time (counted in `recording_errors`), finished ones wait in staging for the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.edge import metrics
from vigil.model.messages import AlertCleared, AlertRequest
from vigil.ops.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

PROBE_NAME = ".vigil-disk-probe"


class DiskState(StrEnum):
    OK = "ok"
    FULL = "full"
    READ_ONLY = "read_only"
    NOT_WRITABLE = "not_writable"


@dataclass(frozen=True, slots=True)
class DiskReading:
    state: DiskState
    free_bytes: int
    total_bytes: int
    detail: str | None = None


def write_probe(directory: Path) -> None:
    """Create, fsync and delete a small file in `directory`; raises OSError if it cannot."""
    path = directory / PROBE_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"x" * 4096)
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()


def read_disk(
    directory: Path,
    min_free_bytes: int,
    *,
    usage: Callable[[Path], tuple[int, int, int]] = shutil.disk_usage,
    probe: Callable[[Path], None] = write_probe,
) -> DiskReading:
    """The state of the disk holding `directory` (which must exist)."""
    try:
        total, _used, free = usage(directory)
    except OSError as err:  # the volume is gone (unmounted, directory removed)
        return DiskReading(DiskState.NOT_WRITABLE, 0, 0, f"{directory}: {err.strerror or err}")
    try:
        probe(directory)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            state = DiskState.FULL
        elif err.errno == errno.EROFS:
            state = DiskState.READ_ONLY
        else:
            state = DiskState.NOT_WRITABLE
        return DiskReading(state, free, total, f"{directory}: {err.strerror or err}")
    if free < min_free_bytes:
        return DiskReading(
            DiskState.FULL,
            free,
            total,
            f"{directory}: {free / 2**30:.2f} GiB free, under the {min_free_bytes / 2**30:.2f}"
            " GiB floor",
        )
    return DiskReading(DiskState.OK, free, total)


_TITLES = {
    DiskState.FULL: "Recording disk full",
    DiskState.READ_ONLY: "Recording disk is read-only",
    DiskState.NOT_WRITABLE: "Recording disk refuses writes",
}


class DiskWatch:
    """Polls `directory`'s disk and raises/clears the `edge_disk` alert of `edge_id`."""

    def __init__(
        self,
        directory: Path,
        bus: Bus,
        clock: Clock,
        *,
        edge_id: str,
        min_free_bytes: int,
        period_s: float = 10.0,
        usage: Callable[[Path], tuple[int, int, int]] = shutil.disk_usage,
        probe: Callable[[Path], None] = write_probe,
    ) -> None:
        self.directory = directory
        self.edge_id = edge_id
        self.min_free_bytes = min_free_bytes
        self.period_s = period_s
        self._bus = bus
        self._clock = clock
        self._usage = usage
        self._probe = probe
        self._gauge = metrics.edge_disk_free_bytes.labels(edge_id)
        self._task: asyncio.Task[None] | None = None
        self._alert_key: str | None = None
        self.last: DiskReading | None = None

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._run(), name="disk-watch")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        self._task = None

    async def check(self) -> DiskReading:
        """Read the disk once and raise or clear the alert accordingly."""
        reading = await asyncio.to_thread(
            read_disk, self.directory, self.min_free_bytes, usage=self._usage, probe=self._probe
        )
        self._gauge.set(reading.free_bytes)
        previous, self.last = self.last, reading
        if reading.state is not DiskState.OK and (
            previous is None or previous.state != reading.state
        ):
            logger.error("recording disk %s: %s", reading.state.value, reading.detail)
            self._raise(reading)
        elif reading.state is DiskState.OK and self._alert_key is not None:
            logger.info("recording disk writable again (%d bytes free)", reading.free_bytes)
            key, self._alert_key = self._alert_key, None
            self._bus.publish(
                topics.ALERT_REQUESTS,
                self.edge_id,
                AlertCleared(key, self.edge_id, self._clock.now(), resolve=True),
            )
        return reading

    def _raise(self, reading: DiskReading) -> None:
        now = self._clock.now()
        if self._alert_key is not None:  # a different fault: end the old alert first
            self._bus.publish(
                topics.ALERT_REQUESTS,
                self.edge_id,
                AlertCleared(self._alert_key, self.edge_id, now, resolve=True),
            )
        self._alert_key = f"edge_disk:{self.edge_id}:{reading.state.value}:{now:%Y%m%dT%H%M%S}"
        self._bus.publish(
            topics.ALERT_REQUESTS,
            self.edge_id,
            AlertRequest(
                key=self._alert_key,
                camera_id=self.edge_id,
                type=f"edge_disk_{reading.state.value}",
                severity="critical",
                title=_TITLES[reading.state],
                occurred_at=now,
                data={
                    "detail": reading.detail,
                    "free_bytes": reading.free_bytes,
                    "total_bytes": reading.total_bytes,
                },
            ),
        )

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the watch must outlive a bad reading
                logger.exception("disk check of %s failed", self.directory)
            await self._clock.sleep(self.period_s)
