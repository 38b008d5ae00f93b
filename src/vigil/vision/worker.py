"""The detection stage: frames in (bus `streams.raw`), detections out (bus `ai.detections`).

Inference runs in worker threads, one onnxruntime session call at a time per worker; the frames
subscription is bounded, so when detection cannot keep up the oldest frames are dropped and
counted (`frames_dropped_total`) and recording is never affected.
"""

from __future__ import annotations

import asyncio
import logging

from vigil.bus import Bus, Message, topics
from vigil.bus.base import Subscription
from vigil.bus.messages import Frame, FrameDetections
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait
from vigil.vision.detectors.base import Detector

log = logging.getLogger(__name__)


def _count_drop(message: Message) -> None:
    metrics.frames_dropped_total.labels(camera=message.key).inc()


class DetectionWorker:
    def __init__(self, bus: Bus, detector: Detector, *, workers: int = 1, max_pending: int = 16):
        self._bus = bus
        self._detector = detector
        self._workers = workers
        self._max_pending = max_pending
        self._tasks: list[asyncio.Task[None]] = []
        self._sub: Subscription | None = None
        self.frames_done = 0
        self.last_error: str | None = None

    @property
    def dropped(self) -> int:
        return self._sub.dropped if self._sub else 0

    async def start(self) -> None:
        self._sub = self._bus.subscribe(
            topics.FRAMES, "vision", max_pending=self._max_pending, on_drop=_count_drop
        )
        self._tasks = [
            asyncio.create_task(self._run(self._sub), name=f"detector-{i}")
            for i in range(self._workers)
        ]

    async def stop(self) -> None:
        if self._sub is not None:
            self._sub.close()
        await cancel_and_wait(self._tasks)

    async def _run(self, sub: Subscription) -> None:
        while True:
            message = await sub.get()
            if message is None:
                return
            frame = message.value
            if not isinstance(frame, Frame):
                log.warning("ignoring a %s on %s", type(frame).__name__, topics.FRAMES)
                continue
            try:
                result = await asyncio.to_thread(self._detect, frame)
            except Exception as err:  # one bad frame must not stop detection for every camera
                self.last_error = f"{type(err).__name__}: {err}"
                log.exception("detection failed on %s frame %d", frame.camera_id, frame.seq)
                continue
            self.frames_done += 1
            self._bus.publish(topics.DETECTIONS, frame.camera_id, result)
            sub.commit(message)

    def _detect(self, frame: Frame) -> FrameDetections:
        detections = self._detector.detect(frame.image)  # observes ai_inference_duration
        for name in detections.class_names:
            metrics.ai_detection_total.labels(model=self._detector.name, **{"class": name}).inc()
        return FrameDetections(
            camera_id=frame.camera_id,
            timestamp=frame.timestamp,
            seq=frame.seq,
            detections=detections,
            model=self._detector.name,
            frame=frame,
        )
