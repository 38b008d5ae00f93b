"""The `Detector` protocol every backend implements, and `load_detector` to build one by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from vigil.errors import ModelError
from vigil.model.detections import Detections


class Detector(Protocol):
    """Finds objects in one frame.

    `name` identifies the model (it labels metrics and stored detections); `classes` lists the
    class names it can return. Implementations must allow `detect` to be called from several
    threads at once.
    """

    name: str
    classes: tuple[str, ...]

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        """Detect objects in an HxWx3 BGR uint8 frame (as `cv2.imread` or PyAV's
        `to_ndarray(format="bgr24")` give it).

        Returns boxes normalised to [0, 1] of the frame, (x1, y1, x2, y2).
        """
        ...


DetectorFactory = Callable[[Path | None, float, int], Detector]


def _ssdlite_person(model_path: Path | None, min_confidence: float, threads: int) -> Detector:
    # Imported here so that code needing only the protocol does not load onnxruntime.
    from vigil.vision.detectors.onnx import OnnxSsdPersonDetector

    return OnnxSsdPersonDetector(model_path, min_confidence=min_confidence, threads=threads)


def _yolo(model_path: Path | None, min_confidence: float, threads: int) -> Detector:
    from vigil.vision.detectors.yolo import YoloOnnxDetector

    if model_path is None:
        raise ModelError(
            "detector 'yolo' needs model_path: a YOLOv8/YOLO11 ONNX export (none ships with Vigil)"
        )
    return YoloOnnxDetector(model_path, min_confidence=min_confidence, threads=threads)


def _nanodet(model_path: Path | None, min_confidence: float, threads: int) -> Detector:
    from vigil.vision.detectors.nanodet import SURVEILLANCE_CLASSES, NanoDetDetector

    return NanoDetDetector(
        model_path, min_confidence=min_confidence, threads=threads, classes=SURVEILLANCE_CLASSES
    )


_FACTORIES: dict[str, DetectorFactory] = {
    "ssdlite-person": _ssdlite_person,
    "nanodet-g": _nanodet,
    "yolo": _yolo,
}


def load_detector(
    name: str = "ssdlite-person",
    *,
    model_path: Path | None = None,
    min_confidence: float = 0.5,
    threads: int = 1,
) -> Detector:
    """Build the detector called `name`.

    `model_path` overrides the model file shipped with Vigil; `min_confidence` (0-1) drops weaker
    detections; `threads` is the number of intra-op threads of the inference session.

    Raises `ModelError` for an unknown name or a model file that is missing or unreadable.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise ModelError(f"unknown detector {name!r}; known detectors: {known}")
    return factory(model_path, min_confidence, threads)
