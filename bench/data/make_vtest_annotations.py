"""Propose person boxes for 40 frames of vtest.avi (every 20th frame, 0-780), for review by eye.

How the annotations in `vtest_people.json` were made (run from the repository root with the
project's venv: `python bench/data/make_vtest_annotations.py > bench/data/vtest_people.json`):

1. Proposals come from the shipped SSDLite person model run at high resolution, unlike Vigil's
   300x300 full-frame path: the 768x576 frame is upscaled 2x and cut into overlapping 384x384
   tiles (each tile fed at 300x300, so a person is seen ~2.5x larger than in production),
   score >= 0.5, merged by NMS (IoU 0.45).
2. A proposal is kept only with temporal support: a box of IoU >= 0.3 at the same place in the
   video's frame 2 before or 2 after (10 fps, so 0.2 s away) found the same way.
3. A box lying mostly (>= 60% of its area) inside a bigger kept box is a body part (head and
   torso of a person already boxed) and is dropped.
4. The result was drawn on contact sheets and checked by eye (see README in this folder).

Bias, stated plainly: proposals come from the same network as the detector under test, so
people it cannot see at any resolution are missing here too; recall measured against these
boxes is an upper bound. `tests/unit/vision/conftest.py` has people labelled purely by eye on 7
frames; the benchmark reports how many of those the annotations cover.
"""

from __future__ import annotations

import json
import sys

import cv2
import numpy as np

from vigil.model.detections import Detections
from vigil.vision.detectors.onnx import OnnxSsdPersonDetector
from vigil.vision.pipeline import _concat, _nms

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
FRAMES = list(range(0, 800, 20))
TILE, STEP, SCALE = 384, 256, 2


def tiled(detector: OnnxSsdPersonDetector, frame: np.ndarray) -> np.ndarray:
    big = cv2.resize(frame, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_CUBIC)
    h, w = big.shape[:2]
    parts = []
    for y in [*range(0, h - TILE, STEP), h - TILE]:
        for x in [*range(0, w - TILE, STEP), w - TILE]:
            found = detector.detect(np.ascontiguousarray(big[y : y + TILE, x : x + TILE]))
            xyxy = (found.xyxy * TILE + [x, y, x, y]) / [w, h, w, h]
            parts.append(Detections(xyxy.astype(np.float32), found.confidence, found.class_names))
    return _nms(_concat(parts), 0.45).xyxy * [768, 576, 768, 576]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def part_of(small: list[float], big: list[float]) -> bool:
    area = (small[2] - small[0]) * (small[3] - small[1])
    if area >= (big[2] - big[0]) * (big[3] - big[1]):
        return False
    ix = max(0.0, min(small[2], big[2]) - max(small[0], big[0]))
    iy = max(0.0, min(small[3], big[3]) - max(small[1], big[1]))
    return ix * iy >= 0.6 * area


def main() -> None:
    detector = OnnxSsdPersonDetector(min_confidence=0.5)
    capture = cv2.VideoCapture(VTEST)
    wanted = {f + d for f in FRAMES for d in (-2, 0, 2) if f + d >= 0}
    frames = {}
    for index in range(max(wanted) + 1):
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            frames[index] = frame
    boxes = {i: tiled(detector, f) for i, f in frames.items()}
    out = {}
    for f in FRAMES:
        kept = []
        for box in boxes[f]:
            support = [boxes[n] for n in (f - 2, f + 2) if n in boxes]
            if any(any(iou(box, o) >= 0.3 for o in other) for other in support):
                kept.append([round(float(v), 1) for v in box])
        out[str(f)] = [b for b in kept if not any(o is not b and part_of(b, o) for o in kept)]
    json.dump(
        {"video": "vtest.avi", "size": [768, 576], "format": "xyxy pixels", "frames": out},
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
