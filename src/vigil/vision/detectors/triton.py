"""Detection on an NVIDIA Triton Inference Server over gRPC (the cluster's GPU workers).

The server serves a YOLOv8/YOLO11 ONNX (or TensorRT) export under `model_name`; this client
letterboxes the frame exactly as `YoloOnnxDetector` does, sends one FP32 `[1, 3, S, S]` tensor
and decodes the `[1, 4 + C, N]` answer with the same `decode`. Input/output names and the input
size come from the server's model metadata. Needs the optional dependency `tritonclient[grpc]`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import ModelError
from vigil.model.detections import Detections
from vigil.ops.metrics import ai_inference_duration_seconds
from vigil.vision.detectors.yolo import COCO_CLASSES, Letterbox, decode, letterbox

logger = logging.getLogger(__name__)


class TritonClient(Protocol):
    """The part of `tritonclient.grpc.InferenceServerClient` used here (a test may inject one)."""

    def get_model_metadata(self, model_name: str, model_version: str = "") -> Any: ...

    def infer(
        self,
        model_name: str,
        inputs: list[Any],
        model_version: str = "",
        outputs: list[Any] | None = None,
        client_timeout: float | None = None,
    ) -> Any: ...


def build_inputs(
    image_bgr: npt.NDArray[np.uint8], input_name: str, size: int
) -> tuple[list[Any], Letterbox]:
    """The request's one input: the letterboxed frame as FP32 RGB NCHW 0-1."""
    import tritonclient.grpc as grpcclient

    boxed, fit = letterbox(image_bgr, size)
    blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[np.newaxis]
    blob = np.ascontiguousarray(blob, np.float32) / np.float32(255.0)
    tensor = grpcclient.InferInput(input_name, list(blob.shape), "FP32")
    tensor.set_data_from_numpy(blob)
    return [tensor], fit


class TritonDetector:
    """A YOLO-format detector served by Triton at `url` (host:port of its gRPC endpoint)."""

    def __init__(
        self,
        url: str,
        model_name: str,
        *,
        model_version: str = "",
        min_confidence: float = 0.5,
        nms_iou: float = 0.45,
        class_names: Sequence[str] = COCO_CLASSES,
        timeout_s: float = 5.0,
        client: TritonClient | None = None,
    ) -> None:
        self.name = f"triton:{model_name}"
        self.classes = tuple(class_names)
        self.model_name = model_name
        self.model_version = model_version
        self.min_confidence = min_confidence
        self.nms_iou = nms_iou
        self.timeout_s = timeout_s
        if client is None:
            import tritonclient.grpc as grpcclient

            client = grpcclient.InferenceServerClient(url=url)
        self._client = client
        try:
            metadata = client.get_model_metadata(model_name, model_version)
        except Exception as err:  # tritonclient raises InferenceServerException (an Exception)
            raise ModelError(
                f"Triton at {url} cannot describe model {model_name!r}: {err}"
            ) from err
        self._input, self._output, self.input_size_px = _read_metadata(metadata, model_name)
        self._duration = ai_inference_duration_seconds.labels(model=self.name)
        logger.info("detector %s on Triton at %s (input %d)", self.name, url, self.input_size_px)

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        """Find objects in an HxWx3 BGR uint8 frame; boxes normalised (x1, y1, x2, y2)."""
        import tritonclient.grpc as grpcclient

        with self._duration.time():
            inputs, fit = build_inputs(image_bgr, self._input, self.input_size_px)
            outputs = [grpcclient.InferRequestedOutput(self._output)]
            try:
                result = self._client.infer(
                    self.model_name,
                    inputs,
                    model_version=self.model_version,
                    outputs=outputs,
                    client_timeout=self.timeout_s,
                )
            except Exception as err:  # InferenceServerException and gRPC errors
                raise ModelError(f"Triton inference on {self.model_name!r} failed: {err}") from err
            raw = result.as_numpy(self._output)
            if raw is None:
                raise ModelError(f"Triton's answer has no output {self._output!r}")
            height, width = image_bgr.shape[:2]
            return decode(
                np.asarray(raw, np.float32),
                fit,
                width,
                height,
                class_names=self.classes,
                min_confidence=self.min_confidence,
                nms_iou=self.nms_iou,
            )


def _read_metadata(metadata: Any, model_name: str) -> tuple[str, str, int]:
    """(input name, output name, input size) from a gRPC ModelMetadataResponse."""
    if len(metadata.inputs) != 1 or len(metadata.outputs) < 1:
        raise ModelError(f"Triton model {model_name!r} must have one input and an output")
    tensor = metadata.inputs[0]
    shape = [int(d) for d in tensor.shape]
    if len(shape) == 3:  # a model with max_batch_size > 0 leaves the batch axis out
        shape = [1, *shape]
    if len(shape) != 4 or shape[1] != 3 or shape[2] != shape[3] or shape[2] <= 0:
        raise ModelError(
            f"Triton model {model_name!r} is not a YOLO export: input {tensor.name} has shape "
            f"{list(tensor.shape)}, expected [1, 3, S, S]"
        )
    return str(tensor.name), str(metadata.outputs[0].name), shape[2]
