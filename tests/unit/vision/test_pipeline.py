"""One camera's pipeline: when the detector runs on crops or whole frames; where boxes land."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.vision.detectors.base import load_detector
from vigil.vision.pipeline import CameraPipeline, GateSettings
from vigil.vision.tracker import ClassFilter, TrackerSettings

Frame = npt.NDArray[np.uint8]
T0 = datetime(2026, 1, 1, 23, 0, tzinfo=UTC)


class BrightBlobDetector:
    """A stand-in detector: one "person" box around the white pixels of whatever it is given."""

    name = "bright-blob"
    classes = ("person",)

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def detect(self, image_bgr: Frame) -> Detections:
        self.calls.append((image_bgr.shape[1], image_bgr.shape[0]))
        ys, xs = np.nonzero(image_bgr.min(axis=2) > 230)
        if len(xs) == 0:
            return Detections.empty()
        h, w = image_bgr.shape[:2]
        box = [xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h]
        return Detections(np.array([box], np.float32), np.array([0.9], np.float32), ("person",))


def _scene() -> Frame:
    rng = np.random.default_rng(3)
    base = np.clip(rng.normal(90, 6, (480, 640)), 0, 255).astype(np.uint8)
    return np.repeat(base[:, :, None], 3, axis=2)


def _walker(scene: Frame, x: int, y: int = 200) -> Frame:
    out = scene.copy()
    out[y : y + 80, x : x + 30] = 255
    return out


def _pipeline(detector: BrightBlobDetector, **gate: object) -> CameraPipeline:
    settings = GateSettings(**gate)  # type: ignore[arg-type]
    tracker = TrackerSettings(default_filter=ClassFilter(min_track_frames=1))
    return CameraPipeline("cam-1", detector, gate=settings, tracker=tracker)


def test_first_frame_is_full_then_only_motion_crops_run() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector)
    scene = _scene()
    first = pipeline.process(scene, T0)
    assert first.full_frame and detector.calls == [(640, 480)]
    still = pipeline.process(scene, T0 + timedelta(seconds=1))
    assert not still.full_frame and still.crops == () and len(still.detections) == 0
    assert len(detector.calls) == 1  # nothing moved, nothing tracked: no detector call
    moved = pipeline.process(_walker(scene, 400), T0 + timedelta(seconds=2))
    assert not moved.full_frame and len(moved.crops) == 1 and moved.motion_regions == 1
    assert detector.calls[-1] == (300, 300)


def test_boxes_from_a_crop_are_mapped_back_to_the_frame() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector)
    scene = _scene()
    pipeline.process(scene, T0)
    result = pipeline.process(_walker(scene, 400, 250), T0 + timedelta(seconds=1))
    assert len(result.detections) == 1
    np.testing.assert_allclose(
        result.detections.xyxy[0], [400 / 640, 250 / 480, 430 / 640, 330 / 480], atol=1e-6
    )
    assert result.detections.track_ids[0] is not None


def test_a_person_who_stops_is_still_checked_and_keeps_the_track() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector, full_frame_every_s=1000)
    scene = _scene()
    pipeline.process(scene, T0)
    ids = set()
    for t in range(1, 30):
        x = 100 + 10 * min(t, 5)  # walks for 5 s, then stands still
        result = pipeline.process(_walker(scene, x), T0 + timedelta(seconds=t))
        assert len(result.detections) == 1, f"lost at t={t}"
        ids.update(result.detections.track_ids)
    assert len(ids) == 1
    # Long absorbed into the background, yet the track's own box is still a crop.
    assert result.motion_regions == 0 and len(result.crops) == 1


def test_periodic_full_frame_check() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector, full_frame_every_s=10)
    scene = _scene()
    fulls = [pipeline.process(scene, T0 + timedelta(seconds=t)).full_frame for t in range(25)]
    assert [t for t, full in enumerate(fulls) if full] == [0, 10, 20]


def test_a_light_change_triggers_a_full_frame_check() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector)
    scene = _scene()
    pipeline.process(scene, T0)
    pipeline.process(scene, T0 + timedelta(seconds=1))
    dark = (scene // 3).astype(np.uint8)
    assert pipeline.process(dark, T0 + timedelta(seconds=2)).full_frame


def test_a_busy_scene_runs_the_full_frame_once_instead_of_many_crops() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector, max_crops=3)
    scene = _scene()
    pipeline.process(scene, T0)
    busy = scene.copy()
    for x, y in ((10, 10), (600, 10), (10, 390), (600, 390)):
        busy[y : y + 80, x : x + 30] = 255
    result = pipeline.process(busy, T0 + timedelta(seconds=1))
    assert result.full_frame and result.motion_regions == 4


def test_gate_off_runs_every_full_frame() -> None:
    detector = BrightBlobDetector()
    pipeline = _pipeline(detector, enabled=False)
    scene = _scene()
    for t in range(3):
        assert pipeline.process(scene, T0 + timedelta(seconds=t)).full_frame
    assert detector.calls == [(640, 480)] * 3


def test_gated_person_detector_on_real_footage(vtest_clip: list[Frame]) -> None:
    """The shipped model through the gate finds people on vtest.avi at 1 fps, with track ids."""
    pipeline = CameraPipeline("vtest", load_detector(min_confidence=0.4))
    found = 0
    for k, frame in enumerate(vtest_clip):
        result = pipeline.process(frame, T0 + timedelta(seconds=k))
        assert None not in result.detections.track_ids
        found += len(result.detections)
    assert found >= 15
