"""In-process camera workers kept equal to the site's enabled cameras while it runs.

At start one worker per enabled camera; on every change notice (`config.changes`, published by
the API after a committed change) the API cameras are re-read and the workers reconciled:
a new enabled camera gets a worker, a deleted or disabled one is stopped (its partial segment
stored first), one whose source changed (DVR channel, stream or URL) is restarted. A name or
display change restarts nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.config import CameraConfig, SiteConfig
from vigil.dvr.cpplus import mask_url
from vigil.edge.camera import CameraWorker
from vigil.edge.camera_catalog import CameraCatalog
from vigil.edge.metrics import forget_camera
from vigil.edge.pool import CameraHandle
from vigil.model.messages import CameraId, CameraState, CameraStatus
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class CameraWorkers:
    """Owns the in-process `CameraWorker`s; `handles` (the runtime's camera map, read by
    health and the heartbeat) is kept in step."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        config: SiteConfig,
        catalog: CameraCatalog,
        *,
        url_of: Callable[[CameraConfig], str],
        make_worker: Callable[[CameraConfig, str], CameraWorker],
        handles: dict[str, CameraHandle],
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._config = config
        self._catalog = catalog
        self._url_of = url_of
        self._make_worker = make_worker
        self._handles = handles
        self._workers: dict[str, tuple[CameraWorker, str]] = {}  # id -> (worker, its URL)
        self._tasks: list[asyncio.Task[None]] = []
        self.reconciles = 0

    async def start(self) -> None:
        await self.reconcile()
        # Every site process that runs cameras must hear every notice: its own group.
        sub = self._bus.subscribe(topics.CONFIG_CHANGES, f"cameras-{uuid.uuid4().hex[:12]}")
        self._tasks = [asyncio.create_task(self._run(sub), name="camera-changes")]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        workers = list(self._workers.values())
        self._workers.clear()
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w, _ in workers))

    async def reconcile(self) -> None:
        """Start, stop and restart workers so that they match the enabled cameras."""
        wanted = {c.id: c for c in self._config.cameras if c.enabled}
        urls = {cid: self._url_of(cam) for cid, cam in wanted.items()}
        gone = [cid for cid in self._workers if cid not in wanted]
        moved = [cid for cid, (_, url) in self._workers.items() if cid in urls and urls[cid] != url]
        for cid in gone:
            await self._stop_worker(cid, removed=True)
        for cid in moved:
            log.info("camera %s: its source changed; restarting it", cid)
            await self._stop_worker(cid, removed=False)
        for cid, cam in wanted.items():
            if cid not in self._workers:
                log.info("camera %s (%s): %s", cid, cam.name, mask_url(urls[cid]))
                worker = self._make_worker(cam, urls[cid])
                worker.start()
                self._workers[cid] = (worker, urls[cid])
                self._handles[cid] = worker
        self.reconciles += 1

    async def _stop_worker(self, camera_id: str, *, removed: bool) -> None:
        worker, _ = self._workers.pop(camera_id)
        await asyncio.to_thread(worker.stop)
        self._handles.pop(camera_id, None)
        if not removed:
            return
        forget_camera(camera_id)
        detail = "disabled" if any(c.id == camera_id for c in self._config.cameras) else "removed"
        # After the worker's own "offline: stopped": a camera nobody runs is not "down".
        self._bus.publish(
            topics.CAMERA_STATUS,
            camera_id,
            CameraStatus(CameraId(camera_id), CameraState.DISABLED, detail, self._clock.now()),
        )
        log.info("camera %s stopped (%s)", camera_id, detail)

    async def _run(self, sub: Subscription) -> None:
        site_id = self._config.site.id
        async for message in sub:
            batch = [message]
            while (more := await sub.get(timeout_s=0)) is not None:
                batch.append(more)
            if any(m.key == site_id for m in batch):
                try:
                    await asyncio.to_thread(self._catalog.load)
                    await self.reconcile()
                except Exception:  # the database may be down: the workers stay as they are
                    log.exception("applying a camera change failed; cameras unchanged")
            for m in batch:
                sub.commit(m)
