"""The detection stage on the in-process bus: frames in, tracked detections out, faces stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import skimage.data

from vigil.bus import MemoryBus, topics
from vigil.model.detections import Detections
from vigil.model.messages import Frame, FrameDetections
from vigil.vision.detectors.base import load_detector
from vigil.vision.face_tracks import FaceCollector, FaceRecord
from vigil.vision.faces import FaceDetector, SFaceEmbedder
from vigil.vision.tracker import ClassFilter, TrackerSettings
from vigil.vision.worker import DetectionWorker

Image = npt.NDArray[np.uint8]
T0 = datetime(2026, 2, 1, 22, 0, tzinfo=UTC)


async def _run(
    worker: DetectionWorker, bus: MemoryBus, frames: list[Frame]
) -> list[FrameDetections]:
    out = bus.subscribe(topics.DETECTIONS, "test")
    await worker.start()
    try:
        results: list[FrameDetections] = []
        for frame in frames:  # one at a time, so the order is the capture order
            bus.publish(topics.FRAMES, frame.camera_id, frame)
            message = await out.get(timeout_s=60)
            assert message is not None, f"no detections for frame {frame.seq}"
            results.append(message.value)
        return results
    finally:
        await worker.stop()


async def test_published_detections_carry_track_ids() -> None:
    bus = MemoryBus()
    await bus.start()
    capture = cv2.VideoCapture("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
    frames = []
    for index in range(60):  # 6 s of video at 1 fps
        ok, image = capture.read()
        assert ok
        if index % 10 == 0:
            when = T0 + timedelta(seconds=index // 10)
            frames.append(Frame("cam-1", when, index, np.asarray(image, np.uint8)))
    capture.release()
    worker = DetectionWorker(bus, load_detector(min_confidence=0.3))
    results = await _run(worker, bus, frames)
    await bus.stop()
    assert len(results) == 6
    later = [d for r in results[1:] for d in r.detections]
    assert later and all(d.track_id is not None for d in later)
    # The first frame only starts tracks: by default a track counts from its second frame.
    assert len(results[0].detections) == 0
    assert results[-1].to_json()["detections"][0]["track_id"] is not None


class OnePersonDetector:
    """Stand-in detector: a person box over the middle of every non-black frame."""

    name = "one-person"
    classes = ("person",)

    def detect(self, image_bgr: Image) -> Detections:
        if image_bgr.max() == 0:
            return Detections.empty()
        box = np.array([[0.25, 0.09, 0.75, 0.95]], np.float32)
        return Detections(box, np.array([0.9], np.float32), ("person",))


async def test_the_best_face_of_an_ended_track_is_stored() -> None:
    bus = MemoryBus()
    await bus.start()
    astronaut = cv2.imread(str(Path(skimage.data.__file__).parent / "astronaut.png"))
    scene = np.zeros((1024, 1024, 3), np.uint8)
    scene[100:612, 256:768] = astronaut
    empty = np.zeros_like(scene)
    images = [scene] * 3 + [empty] * 4  # seen for 3 s, then gone past lost_track_s (2 s)
    frames = [Frame("cam-1", T0 + timedelta(seconds=i), i, img) for i, img in enumerate(images)]
    detector, embedder = FaceDetector(), SFaceEmbedder()
    stored: list[FaceRecord] = []
    worker = DetectionWorker(
        bus,
        OnePersonDetector(),
        tracker=TrackerSettings(lost_track_s=2, default_filter=ClassFilter(min_track_frames=1)),
        faces=lambda cam: FaceCollector(cam, detector, embedder, every_s=1.0),
        on_faces=stored.extend,
    )
    results = await _run(worker, bus, frames)
    await bus.stop()
    track_ids = {d.track_id for r in results for d in r.detections}
    assert len(track_ids) == 1
    (record,) = stored
    assert record.track_id in track_ids and record.camera_id == "cam-1"
    assert record.embedding.shape == (512,) and worker.faces_stored == 1
