"""The detection stage: frames in (bus `streams.raw`), detections out (bus `ai.detections`).

Each camera has its own `CameraPipeline` (motion gate -> detector -> tracker), so every
published detection carries the id of its track.

Inference runs in worker threads, one onnxruntime session call at a time per worker; the frames
subscription is bounded, so when detection cannot keep up the oldest frames are dropped and
counted (`frames_dropped_total`) and recording is never affected.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace

from vigil.bus import Bus, Message, topics
from vigil.bus.base import Subscription
from vigil.model.detections import Detections
from vigil.model.messages import Frame, FrameDetections
from vigil.ops import metrics
from vigil.ops.health import ComponentHealth
from vigil.ops.tasks import cancel_and_wait
from vigil.vision.candidates import CandidateSampler
from vigil.vision.detectors.base import Detector
from vigil.vision.face_tracks import FaceCollector, FaceRecord
from vigil.vision.motion import Polygon
from vigil.vision.pipeline import CameraPipeline, GateSettings
from vigil.vision.tracker import Track, TrackerSettings

log = logging.getLogger(__name__)


def _count_drop(message: Message) -> None:
    metrics.frames_dropped_total.labels(camera=message.key).inc()


class DetectionWorker:
    """`gate` and `tracker` configure every camera's pipeline; `masks` adds motion masks
    (normalised polygons) by camera id."""

    def __init__(
        self,
        bus: Bus,
        detector: Detector,
        *,
        workers: int = 1,
        max_pending: int = 16,
        gate: GateSettings | None = None,
        tracker: TrackerSettings | None = None,
        masks: Mapping[str, list[Polygon]] | None = None,
        faces: Callable[[str], FaceCollector] | None = None,
        on_faces: Callable[[list[FaceRecord]], None] | None = None,
        candidates: CandidateSampler | None = None,
    ):
        self._bus = bus
        self._detector = detector
        self._gate = gate or GateSettings()
        self._tracker = tracker or TrackerSettings()
        self._masks = dict(masks or {})
        self._candidates = candidates
        self._faces = faces
        self._on_faces = on_faces
        self._collectors: dict[str, FaceCollector] = {}
        self.faces_stored = 0
        self._pipelines: dict[str, tuple[threading.Lock, CameraPipeline]] = {}
        self._pipelines_lock = threading.Lock()
        self._workers = workers
        self._max_pending = max_pending
        self._tasks: list[asyncio.Task[None]] = []
        self._sub: Subscription | None = None
        self.frames_done = 0
        self.last_error: str | None = None

    @property
    def dropped(self) -> int:
        return self._sub.dropped if self._sub else 0

    def health(self) -> ComponentHealth:
        """Frames analysed and dropped; degraded while the last frame failed."""
        detail = f"{self.frames_done} frames analysed, {self.dropped} dropped"
        return ComponentHealth(
            "degraded" if self.last_error else "ok",
            f"{detail}; last error: {self.last_error}" if self.last_error else detail,
        )

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
            metrics.ai_queue_depth.set(sub.pending)
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

    def _pipeline(self, camera_id: str) -> tuple[threading.Lock, CameraPipeline]:
        with self._pipelines_lock:
            entry = self._pipelines.get(camera_id)
            if entry is None:
                masks = tuple(tuple(p) for p in self._masks.get(camera_id, []))
                motion = replace(self._gate.motion, masks=self._gate.motion.masks + masks)
                gate = replace(self._gate, motion=motion)
                pipeline = CameraPipeline(
                    camera_id, self._detector, gate=gate, tracker=self._tracker
                )
                entry = self._pipelines[camera_id] = (threading.Lock(), pipeline)
            return entry

    def _collect_faces(self, frame: Frame, detections: Detections, ended: list[Track]) -> None:
        """Look for faces on tracked people; store the best face of each track that ended."""
        assert self._faces is not None
        collector = self._collectors.get(frame.camera_id)
        if collector is None:
            collector = self._collectors[frame.camera_id] = self._faces(frame.camera_id)
        collector.observe(frame.image, detections, frame.timestamp)
        records = collector.finish(ended)
        if records and self._on_faces is not None:
            self._on_faces(records)
            self.faces_stored += len(records)

    def _detect(self, frame: Frame) -> FrameDetections:
        lock, pipeline = self._pipeline(frame.camera_id)
        with lock:  # one camera's frames go through its motion model and tracker in order
            result = pipeline.process(frame.image, frame.timestamp)
            ended = pipeline.tracker.pop_finished()
            if self._faces is not None:
                try:
                    self._collect_faces(frame, result.detections, ended)
                except Exception:  # faces are a bonus: never lose the frame's detections
                    log.exception("face search failed on %s frame %d", frame.camera_id, frame.seq)
        if self._candidates is not None:
            try:
                self._candidates.offer(
                    frame.camera_id, frame.seq, frame.timestamp, frame.image, result.raw
                )
            except Exception:  # the training store must never stop detection
                log.exception("saving a training candidate of %s failed", frame.camera_id)
        detections = result.detections
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
