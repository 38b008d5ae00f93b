"""`vigil bench vision`: throughput with and without the motion gate, accuracy by day and night,
and track id switches, on the demo footage (Debian opencv-doc's vtest.avi, 768x576).

* Throughput: one camera at 1 fps (every 10th frame of the 10 fps clip) through the whole vision
  pipeline on one onnxruntime thread, on the busy clip and on an idle camera (the same scene
  with nobody in it: median background + sensor noise); per-frame latency p50/p99 (CPU time of
  the thread); `cameras_at_1fps` = frames per second one core sustains x this machine's cores.
  The anchor is the same detector on every whole frame (no gate), measured in the same run.
* Accuracy: precision and recall at IoU 0.5 of the shipped model (default threshold 0.5, whole
  frame, dark frames contrast-stretched as the pipeline does) on the 40 annotated frames in
  bench/data/vtest_people.json (how they were made: bench/data/make_vtest_annotations.py), by
  day and on a simulated night (grey, darkened to 35%, sensor noise).
* Id switches per minute at 1 fps, against reference identities from the same detector tracked
  at the clip's full 10 fps (where boxes barely move between frames): a switch is a reference
  identity whose 1 fps track id changes.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.vision.detectors.onnx import OnnxSsdPersonDetector
from vigil.vision.lowlight import enhance_low_light
from vigil.vision.pipeline import CameraPipeline, GateSettings
from vigil.vision.tracker import ObjectTracker, TrackerSettings

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
ANNOTATIONS = Path(__file__).resolve().parents[1] / "bench" / "data" / "vtest_people.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Frame = npt.NDArray[np.uint8]


def main(quick: bool, argv: list[str] | None = None) -> int:
    if not VTEST.exists():
        print(f"{VTEST} is missing: install the Debian package opencv-doc", file=sys.stderr)
        return 2
    if not ANNOTATIONS.exists():
        print(f"{ANNOTATIONS} is missing (run from a checkout of the repository)", file=sys.stderr)
        return 2
    frames = _read(VTEST)
    one_fps = frames[::10]
    detector = OnnxSsdPersonDetector(threads=1, min_confidence=0.3)
    rounds = 1 if quick else 3
    gated = _throughput(one_fps, detector, gate=True, rounds=rounds)
    whole = _throughput(one_fps, detector, gate=False, rounds=rounds)
    idle_frames = _empty_scene(one_fps)
    idle_gated = _throughput(idle_frames, detector, gate=True, rounds=rounds)
    idle_whole = _throughput(idle_frames, detector, gate=False, rounds=rounds)
    cores = os.cpu_count() or 1
    truth = json.loads(ANNOTATIONS.read_text())["frames"]
    scorer = OnnxSsdPersonDetector(threads=1, min_confidence=0.5)
    day = _accuracy(frames, truth, scorer, night=False)
    night = _accuracy(frames, truth, scorer, night=True)
    switches, minutes, ref_ids = _id_switches(frames, detector)

    print(f"vision benchmark on {VTEST.name}: {len(one_fps)} frames at 1 fps, {cores} cores")
    print(f"{'':34}{'vigil (gated)':>16}{'anchor (every frame)':>22}")
    print(f"{'ms per frame, p50':34}{gated['p50']:>16.1f}{whole['p50']:>22.1f}")
    print(f"{'ms per frame, p99':34}{gated['p99']:>16.1f}{whole['p99']:>22.1f}")
    print(f"{'detector calls per frame':34}{gated['calls']:>16.2f}{whole['calls']:>22.2f}")
    print(f"{'cameras at 1 fps, one core':34}{gated['per_core']:>16.1f}{whole['per_core']:>22.1f}")
    print(
        f"{f'cameras at 1 fps, {cores} cores':34}"
        f"{gated['per_core'] * cores:>16.1f}{whole['per_core'] * cores:>22.1f}"
    )
    print(
        f"{'idle camera: ms per frame, p50':34}{idle_gated['p50']:>16.1f}{idle_whole['p50']:>22.1f}"
    )
    print(
        f"{'idle camera: cameras, one core':34}"
        f"{idle_gated['per_core']:>16.1f}{idle_whole['per_core']:>22.1f}"
    )
    print(f"\naccuracy at IoU 0.5, {len(truth)} annotated frames, {day['gt']} people:")
    for name, r in (("day", day), ("night (simulated)", night)):
        print(f"  {name:18} precision {r['precision']:.3f}  recall {r['recall']:.3f}")
    print(
        f"\nid switches at 1 fps: {switches} over {minutes:.2f} min "
        f"({ref_ids} reference identities at 10 fps)"
    )
    result = {
        "bench": "vision",
        "cameras_at_1fps": round(gated["per_core"] * cores, 1),
        "anchor_cameras_at_1fps": round(whole["per_core"] * cores, 1),
        "p50_ms": round(gated["p50"], 1),
        "p99_ms": round(gated["p99"], 1),
        "anchor_p50_ms": round(whole["p50"], 1),
        "anchor_p99_ms": round(whole["p99"], 1),
        "idle_cameras_at_1fps": round(idle_gated["per_core"] * cores, 1),
        "anchor_idle_cameras_at_1fps": round(idle_whole["per_core"] * cores, 1),
        "precision": round(day["precision"], 3),
        "recall": round(day["recall"], 3),
        "night_precision": round(night["precision"], 3),
        "night_recall": round(night["recall"], 3),
        "id_switches_per_min": round(switches / minutes, 2),
    }
    print(json.dumps(result))
    return 0


def _read(path: Path) -> list[Frame]:
    capture = cv2.VideoCapture(str(path))
    frames: list[Frame] = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.asarray(frame, np.uint8))
    capture.release()
    return frames


def _throughput(
    frames: list[Frame], detector: OnnxSsdPersonDetector, *, gate: bool, rounds: int
) -> dict[str, float]:
    latencies: list[float] = []
    calls = 0
    for _ in range(rounds):
        pipeline = CameraPipeline("bench", detector, gate=GateSettings(enabled=gate))
        for k, frame in enumerate(frames):
            start = time.thread_time()  # CPU time of this thread: what one core spends
            result = pipeline.process(frame, T0 + timedelta(seconds=k))
            latencies.append((time.thread_time() - start) * 1000)
            calls += len(result.crops)
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
        "per_core": 1000.0 / statistics.fmean(ordered),
        "calls": calls / len(latencies),
    }


def _empty_scene(frames: list[Frame]) -> list[Frame]:
    """The clip's scene with nobody in it (per-pixel median over time) plus fresh sensor noise
    in each frame: what most cameras show most of the night."""
    background = np.median(np.stack(frames), axis=0).astype(np.float32)
    rng = np.random.default_rng(0)
    return [
        np.clip(background + rng.normal(0, 2.0, background.shape), 0, 255).astype(np.uint8)
        for _ in frames
    ]


def _night(frame: Frame, seed: int) -> Frame:
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32) * 0.35
    noisy = grey + np.random.default_rng(seed).normal(0, 6, grey.shape)
    out = np.clip(noisy, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), np.uint8)


def _accuracy(
    frames: list[Frame],
    truth: dict[str, list[list[float]]],
    detector: OnnxSsdPersonDetector,
    *,
    night: bool,
) -> dict[str, float]:
    tp = fp = gt = 0
    for key, boxes in truth.items():
        index = int(key)
        image = _night(frames[index], index) if night else frames[index]
        found = detector.detect(
            enhance_low_light(image, GateSettings().dark_below)
        ).xyxy * np.array([768, 576, 768, 576], np.float32)
        matched = _match(found, np.array(boxes, np.float32).reshape(-1, 4))
        tp += matched
        fp += len(found) - matched
        gt += len(boxes)
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / gt if gt else 1.0,
        "gt": gt,
    }


def _iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """IoU matrix of xyxy boxes a (N, 4) and b (M, 4)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.asarray(np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0), np.float64)


def _match(found: npt.NDArray[np.float32], truth: npt.NDArray[np.float32]) -> int:
    """Greedy one-to-one matching at IoU >= 0.5, best pairs first."""
    if len(found) == 0 or len(truth) == 0:
        return 0
    iou = _iou(found, truth)
    matched = 0
    while True:
        i, j = np.unravel_index(int(np.argmax(iou)), iou.shape)
        if iou[i, j] < 0.5:
            return matched
        matched += 1
        iou[i, :] = -1
        iou[:, j] = -1


def _id_switches(frames: list[Frame], detector: OnnxSsdPersonDetector) -> tuple[int, float, int]:
    """(switches, minutes, reference identities): 1 fps tracking against 10 fps tracking."""
    settings = TrackerSettings()
    reference = ObjectTracker(settings)
    sampled = ObjectTracker(settings)
    last: dict[int, int] = {}
    switches = 0
    ref_ids: set[int] = set()
    for index, frame in enumerate(frames):
        found = detector.detect(frame)
        when = T0 + timedelta(seconds=index / 10)
        ref = reference.update(found, when)
        ref_ids.update(i for i in ref.track_ids if i is not None)
        if index % 10:
            continue
        ours = sampled.update(found, when)
        switches += _count_switches(ref, ours, last)
    return switches, len(frames) / 10 / 60, len(ref_ids)


def _count_switches(ref: Detections, ours: Detections, last: dict[int, int]) -> int:
    if len(ref) == 0 or len(ours) == 0:
        return 0
    iou = _iou(ref.xyxy, ours.xyxy)
    switches = 0
    for r in range(len(ref)):
        o = int(np.argmax(iou[r]))
        ref_id, our_id = ref.track_ids[r], ours.track_ids[o]
        if iou[r, o] < 0.5 or ref_id is None or our_id is None:
            continue
        if ref_id in last and last[ref_id] != our_id:
            switches += 1
        last[ref_id] = our_id
    return switches


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv[1:]))
