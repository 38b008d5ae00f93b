"""Score a detector on labelled samples: precision and recall at its operating threshold, and
average precision at IoU 0.5 per class (mAP@0.5 is their mean).

pycocotools is not installed on the boxes Vigil targets, so AP is computed here: detections
of a class, best score first, are matched greedily to unmatched ground-truth boxes of the same
image with IoU >= 0.5 (each ground truth matches once); AP is the area under the
precision-recall curve with precision made monotonically decreasing (all-point
interpolation, as PASCAL VOC 2010+; COCO samples 101 recall points instead, which differs by
a hair on small sets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.training.samples import Sample

IOU_THRESHOLD = 0.5
Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two xyxy boxes (any common unit)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _box(row: npt.NDArray[np.float32]) -> Box:
    x1, y1, x2, y2 = (float(v) for v in row)
    return (x1, y1, x2, y2)


def average_precision(scored: list[tuple[float, bool]], n_truth: int) -> float:
    """All-point interpolated AP of detections given as (score, true positive?)."""
    if n_truth == 0:
        return 0.0
    ordered = sorted(scored, key=lambda s: -s[0])
    hits = np.array([tp for _, tp in ordered], dtype=np.float64)
    tp = np.cumsum(hits)
    fp = np.cumsum(1.0 - hits)
    recall = np.concatenate([[0.0], tp / n_truth, [1.0]])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1e-12), [0.0]])
    # Precision envelope: at each recall, the best precision at that recall or beyond.
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


@dataclass(slots=True)
class _ClassTally:
    truth: int = 0
    scored: list[tuple[float, bool]] = field(default_factory=list)


@dataclass(slots=True)
class Evaluation:
    """Accumulates one image at a time; `result()` gives the job's result JSON."""

    classes: tuple[str, ...]  # what the detector can find
    min_confidence: float  # its operating threshold (precision / recall are measured there)
    images: int = 0
    skipped_classes: set[str] = field(default_factory=set)
    _tally: dict[str, _ClassTally] = field(default_factory=dict)

    def add(self, sample: Sample, found: Detections) -> None:
        self.images += 1
        for label in sample.labels:
            if label.class_name not in self.classes:
                self.skipped_classes.add(label.class_name)
        for name in self.classes:
            truth = [lb.bbox_xyxy for lb in sample.labels if lb.class_name == name]
            tally = self._tally.setdefault(name, _ClassTally())
            tally.truth += len(truth)
            mine: list[tuple[float, Box]] = sorted(
                (
                    (float(found.confidence[i]), _box(found.xyxy[i]))
                    for i in range(len(found.class_names))
                    if found.class_names[i] == name
                ),
                key=lambda d: -d[0],
            )
            used = [False] * len(truth)
            for score, box in mine:
                best, best_iou = -1, IOU_THRESHOLD
                for j, gt in enumerate(truth):
                    overlap = iou(box, gt)
                    if not used[j] and overlap >= best_iou:
                        best, best_iou = j, overlap
                if best >= 0:
                    used[best] = True
                tally.scored.append((score, best >= 0))

    def result(self) -> dict[str, object]:
        per_class: dict[str, dict[str, float | int]] = {}
        tp = fp = truth = 0
        for name, tally in sorted(self._tally.items()):
            if tally.truth == 0 and not tally.scored:
                continue
            kept = [hit for score, hit in tally.scored if score >= self.min_confidence]
            c_tp = sum(kept)
            c_fp = len(kept) - c_tp
            tp, fp, truth = tp + c_tp, fp + c_fp, truth + tally.truth
            per_class[name] = {
                "ground_truth": tally.truth,
                "true_positives": c_tp,
                "false_positives": c_fp,
                "ap50": round(average_precision(tally.scored, tally.truth), 4),
            }
        with_truth = [v["ap50"] for v in per_class.values() if v["ground_truth"] > 0]
        return {
            "images": self.images,
            "min_confidence": self.min_confidence,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / truth, 4) if truth else None,
            "map50": round(float(np.mean(with_truth)), 4) if with_truth else None,
            "classes": per_class,
            "skipped_classes": sorted(self.skipped_classes),
            "ap_method": "all-point interpolated AP at IoU 0.5 (pycocotools not installed)",
        }


def evaluate(
    samples: Iterable[Sample],
    detect: Callable[[Sample], Detections],
    *,
    classes: tuple[str, ...],
    min_confidence: float,
    progress: Callable[[int], None],
) -> dict[str, object]:
    """Run `detect` on every sample; `progress(done)` after each (it may raise to stop)."""
    evaluation = Evaluation(classes, min_confidence)
    for done, sample in enumerate(samples, start=1):
        evaluation.add(sample, detect(sample))
        progress(done)
    return evaluation.result()
