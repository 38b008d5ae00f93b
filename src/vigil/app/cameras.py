"""The cameras stage: each enabled camera's ingest (record + 1 fps frames), in this process or
in an ingest pool of child processes (`recording.ingest_processes`), publishing what it makes
on the bus."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from vigil.app.stages import Started
from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.config import CameraConfig, SiteConfig
from vigil.dvr.cpplus import mask_url
from vigil.dvr.site import camera_url
from vigil.edge.camera import CameraWorker
from vigil.edge.camera_catalog import CameraCatalog
from vigil.edge.camera_workers import CameraWorkers
from vigil.edge.pool import CameraHandle, IngestPool, PoolCamera, ingest_processes
from vigil.model.messages import CameraStatus, Frame, SegmentInfo
from vigil.storage import ObjectStore

log = logging.getLogger(__name__)


async def start_cameras(
    config: SiteConfig,
    bus: Bus,
    clock: Clock,
    store: ObjectStore,
    *,
    staging: Path,
    live_root: Path,
    catalog: CameraCatalog,
    handles: dict[str, CameraHandle],
    started: Started,
) -> None:
    """Start the enabled cameras; `handles` then holds each camera's status."""
    await asyncio.to_thread(staging.mkdir, parents=True, exist_ok=True)
    cams = [c for c in config.cameras if c.enabled]
    # CameraWorker keyword arguments, the same in process and in ingest children.
    worker_kwargs: dict[str, Any] = {
        "segment_s": config.recording.segment_s,
        "frame_interval_s": config.detection.frame_interval_s,
        "live_root": live_root,  # live HLS, per camera
    }

    def on_frame(frame: Frame) -> None:
        bus.publish(topics.FRAMES, frame.camera_id, frame)

    def on_segment(segment: SegmentInfo) -> None:
        bus.publish(topics.SEGMENTS, segment.camera_id, segment)

    def on_status(status: CameraStatus) -> None:
        log.info(
            "camera %s is %s%s",
            status.camera_id,
            status.state.value,
            f": {status.detail}" if status.detail else "",
        )
        bus.publish(topics.CAMERA_STATUS, status.camera_id, status)

    processes = ingest_processes(config.recording.ingest_processes, len(cams), os.cpu_count() or 1)
    if processes > 0:
        for cam in cams:
            log.info("camera %s (%s): %s", cam.id, cam.name, mask_url(camera_url(config, cam)))
        # The pool's children get their cameras once: no live changes (said, not half-done).
        catalog.refuse_changes_with_pool(processes, config.recording.ingest_processes)
        pool = IngestPool(
            [PoolCamera(cam.id, camera_url(config, cam)) for cam in cams],
            processes=processes,
            store=store,
            staging_dir=staging,
            clock=clock,
            on_frame=on_frame,
            on_segment=on_segment,
            on_status=on_status,
            worker_kwargs=worker_kwargs,
        )
        pool.start()
        handles.update(pool.cameras)
        started.add("cameras", lambda: asyncio.to_thread(pool.stop))
        return

    def make_worker(cam: CameraConfig, url: str) -> CameraWorker:
        return CameraWorker(
            cam.id,
            url,
            store=store,
            staging_dir=staging / cam.id,
            clock=clock,
            on_frame=on_frame,
            on_segment=on_segment,
            on_status=on_status,
            **worker_kwargs,
        )

    # Started, stopped and restarted as cameras are added, changed or deleted (the API).
    workers = CameraWorkers(
        bus, clock, config, catalog,
        url_of=lambda cam: camera_url(config, cam), make_worker=make_worker, handles=handles,
    )  # fmt: skip
    await workers.start()
    started.add("cameras", workers.stop)
