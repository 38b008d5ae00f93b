"""The default person detector: SSDLite-MobileNetV2 (1 class, person) run by onnxruntime.

The model is `vision/models/ssdlite_person.onnx`, converted once from a TensorFlow frozen graph
(see `vision/models/README.md`). It takes one uint8 RGB image, NHWC `[1, H, W, 3]`, resizes it to
300x300 inside the graph and returns up to 100 boxes after its own non-maximum suppression:
`detection_boxes` `[1, 100, 4]` normalised (ymin, xmin, ymax, xmax), `detection_scores`
`[1, 100]`, `detection_classes` `[1, 100]` (1 = person) and `num_detections` `[1]`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from vigil.errors import ModelError
from vigil.model.detections import Detections
from vigil.ops.metrics import ai_inference_duration_seconds

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "ssdlite_person.onnx"
"""The model file shipped in the package."""

_INPUT_NAME = "image_tensor:0"
_OUTPUT_NAMES = (
    "detection_boxes:0",
    "detection_scores:0",
    "detection_classes:0",
    "num_detections:0",
)
_PERSON_CLASS_ID = 1
# Fastest first; onnxruntime itself falls back to the next one for nodes a provider cannot run.
_PROVIDER_PREFERENCE = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "CPUExecutionProvider",
)


def choose_providers(available: Sequence[str]) -> list[str]:
    """The execution providers to ask for, best first: TensorRT and CUDA when present, then CPU."""
    chosen = [p for p in _PROVIDER_PREFERENCE if p in available]
    return chosen or ["CPUExecutionProvider"]


class OnnxSsdPersonDetector:
    """Person detector on the shipped SSDLite-MobileNetV2 ONNX graph.

    `detect` takes an HxWx3 BGR uint8 frame of any size and returns `Detections` whose boxes are
    normalised to [0, 1] of that frame, (x1, y1, x2, y2), class "person", confidence in [0, 1].
    It is safe to call from several threads at once (an onnxruntime session's `run` is).

    `input_size_px`: the frame is resized to this square size before inference (the graph would
    resize it to 300x300 anyway; doing it first avoids copying full frames into the graph).
    `None` feeds the frame at its own size.
    """

    name: str = "ssdlite-person"
    classes: tuple[str, ...] = ("person",)

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        min_confidence: float = 0.5,
        threads: int = 1,
        input_size_px: int | None = 300,
        providers: Sequence[str] | None = None,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be within [0, 1], got {min_confidence}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if input_size_px is not None and input_size_px < 32:
            raise ValueError(f"input_size_px must be at least 32 or None, got {input_size_px}")
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_MODEL_PATH
        self.min_confidence = min_confidence
        self.input_size_px = input_size_px
        wanted = list(providers) if providers else choose_providers(ort.get_available_providers())
        self._session = _open_session(self.model_path, threads, wanted)
        self._duration = ai_inference_duration_seconds.labels(model=self.name)
        logger.info(
            "detector %s loaded from %s on %s (%d intra-op thread(s), input %s)",
            self.name,
            self.model_path,
            ", ".join(self._session.get_providers()),
            threads,
            f"{input_size_px}x{input_size_px}" if input_size_px else "full frame",
        )

    @property
    def providers(self) -> list[str]:
        """The execution providers the session actually runs on, best first."""
        providers: list[str] = self._session.get_providers()
        return providers

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        """Find people in an HxWx3 BGR uint8 frame; boxes normalised (x1, y1, x2, y2) in [0, 1]."""
        _check_frame(image_bgr)
        with self._duration.time():
            blob = self._preprocess(image_bgr)
            try:
                boxes, scores, classes, count = self._session.run(
                    list(_OUTPUT_NAMES), {_INPUT_NAME: blob}
                )
            except Exception as err:  # onnxruntime's errors derive from Exception only
                raise ModelError(f"{self.name} failed on a {image_bgr.shape} frame: {err}") from err
            return self._postprocess(boxes, scores, classes, count)

    def _preprocess(self, image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """BGR frame -> uint8 RGB NHWC [1, S, S, 3] (or [1, H, W, 3] without resizing)."""
        image = np.ascontiguousarray(image_bgr)
        if self.input_size_px is not None:
            size = (self.input_size_px, self.input_size_px)
            # Bilinear, as the graph's own resize and the wheel's reference code do.
            image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), np.uint8)
        rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), np.uint8)
        return rgb[np.newaxis]

    def _postprocess(
        self,
        boxes: npt.NDArray[np.float32],
        scores: npt.NDArray[np.float32],
        classes: npt.NDArray[np.float32],
        count: npt.NDArray[np.float32],
    ) -> Detections:
        """Raw outputs (batch of one, normalised yxyx) -> person `Detections` (normalised xyxy)."""
        n = int(count[0])
        yxyx = boxes[0, :n]
        confidence = scores[0, :n].astype(np.float32)
        keep = (confidence >= self.min_confidence) & (classes[0, :n] == _PERSON_CLASS_ID)
        xyxy = np.clip(yxyx[keep][:, [1, 0, 3, 2]], 0.0, 1.0).astype(np.float32)
        confidence = confidence[keep]
        has_area = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        xyxy, confidence = xyxy[has_area], confidence[has_area]
        return Detections(xyxy, confidence, ("person",) * len(confidence))


def _check_frame(image: npt.NDArray[Any]) -> None:
    """Reject anything that is not a non-empty HxWx3 uint8 array, naming what was given."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"expected an HxWx3 BGR frame, got an array of shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got dtype {image.dtype}")


def open_session(
    path: Path,
    *,
    what: str = "model",
    threads: int = 1,
    providers: Sequence[str] | None = None,
    whole_path: bool = False,
) -> ort.InferenceSession:
    """An onnxruntime session on `path` with `threads` intra-op threads and the best providers
    here (or `providers`). `ModelError` when the file is missing or unusable, naming `what` and
    the file's name only (the error can reach an API answer; `whole_path` for models loaded at
    start, where the operator needs it); the full reason is logged."""
    shown = str(path) if whole_path else path.name
    if not path.is_file():
        raise ModelError(f"{what} not found: {shown}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # no warnings about the graph on every start
    wanted = list(providers) if providers else choose_providers(ort.get_available_providers())
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=wanted)
    except Exception as err:  # onnxruntime's errors derive from Exception only
        logger.error("cannot load %s %s: %s", what, path, err)
        raise ModelError(f"cannot load {what} {shown} (see the server log)") from err


def _open_session(path: Path, threads: int, providers: list[str]) -> ort.InferenceSession:
    """Open the detector's graph and check its signature. It is loaded at start, where the
    operator needs the whole path of a missing file (the API's error handler cuts paths)."""
    session = open_session(
        path, what="model file", threads=threads, providers=providers, whole_path=True
    )
    _check_signature(path, session)
    return session


def _check_signature(path: Path, session: ort.InferenceSession) -> None:
    """Make sure the file is an SSD person graph with the expected input and outputs."""
    inputs = session.get_inputs()
    outputs = {o.name for o in session.get_outputs()}
    missing = [name for name in _OUTPUT_NAMES if name not in outputs]
    if len(inputs) != 1 or inputs[0].name != _INPUT_NAME or inputs[0].type != "tensor(uint8)":
        got = [(i.name, i.type) for i in inputs]
        raise ModelError(
            f"{path} is not an SSD detection graph: expected one uint8 input "
            f"{_INPUT_NAME!r}, got {got}"
        )
    if missing:
        raise ModelError(f"{path} is not an SSD detection graph: missing outputs {missing}")
