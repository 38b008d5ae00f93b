"""What each camera shows now: its status and latest analysed frame with detections.

Fed from the bus (detections and camera-status topics), so the API needs no handle on the edge.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from vigil.alerts.snapshots import encode_jpeg
from vigil.bus import Bus, topics
from vigil.model.messages import CameraStatus, FrameDetections
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Latest:
    status: CameraStatus | None = None
    detections: FrameDetections | None = None
    jpeg_seq: int = -1
    jpeg: bytes | None = None


class LiveView:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._cams: dict[str, _Latest] = {}
        self._lock = threading.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        det = self._bus.subscribe(topics.DETECTIONS, "api-live", max_pending=64)
        status = self._bus.subscribe(topics.CAMERA_STATUS, "api-live")
        self._tasks = [
            asyncio.create_task(self._consume_detections(det), name="live-detections"),
            asyncio.create_task(self._consume_status(status), name="live-status"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _consume_detections(self, sub: object) -> None:
        async for msg in sub:  # type: ignore[attr-defined]
            value = msg.value
            if isinstance(value, FrameDetections):
                with self._lock:
                    self._cams.setdefault(value.camera_id, _Latest()).detections = value

    async def _consume_status(self, sub: object) -> None:
        async for msg in sub:  # type: ignore[attr-defined]
            value = msg.value
            if isinstance(value, CameraStatus):
                self.set_status(value)

    def set_status(self, status: CameraStatus) -> None:
        with self._lock:
            self._cams.setdefault(status.camera_id, _Latest()).status = status

    def status(self, camera_id: str) -> CameraStatus | None:
        with self._lock:
            latest = self._cams.get(camera_id)
            return latest.status if latest else None

    def detections(self, camera_id: str) -> FrameDetections | None:
        with self._lock:
            latest = self._cams.get(camera_id)
            return latest.detections if latest else None

    def snapshot_jpeg(self, camera_id: str) -> bytes | None:
        """JPEG of the latest analysed frame, encoded once per frame."""
        with self._lock:
            latest = self._cams.get(camera_id)
            if latest is None or latest.detections is None or latest.detections.frame is None:
                return None
            fd = latest.detections
            if latest.jpeg_seq == fd.seq and latest.jpeg is not None:
                return latest.jpeg
        assert fd.frame is not None
        jpeg = encode_jpeg(fd.frame.image)
        with self._lock:
            latest.jpeg, latest.jpeg_seq = jpeg, fd.seq
        return jpeg
