"""The Triton backend against tritonclient's own request and response types (no server here).

`RecordingServer` stands in for `InferenceServerClient`: it answers with real protobuf
messages (`ModelMetadataResponse`, `ModelInferResponse` wrapped in `InferResult`) and checks
the request the detector built, byte for byte.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2
from tritonclient.utils import InferenceServerException

from vigil.errors import ModelError
from vigil.vision.detectors.triton import TritonDetector, build_inputs
from vigil.vision.detectors.yolo import letterbox


def _metadata(shape: list[int]) -> service_pb2.ModelMetadataResponse:
    meta = service_pb2.ModelMetadataResponse(name="yolo11n", platform="onnxruntime_onnx")
    meta.inputs.add(name="images", datatype="FP32", shape=shape)
    meta.outputs.add(name="output0", datatype="FP32", shape=[1, 84, 3])
    return meta


def _answer(raw: npt.NDArray[np.float32]) -> grpcclient.InferResult:
    response = service_pb2.ModelInferResponse(model_name="yolo11n", model_version="1")
    response.outputs.add(name="output0", datatype="FP32", shape=list(raw.shape))
    response.raw_output_contents.append(raw.tobytes())
    return grpcclient.InferResult(response)


class RecordingServer:
    def __init__(self, raw: npt.NDArray[np.float32], shape: list[int] | None = None) -> None:
        self.raw = raw
        self.shape = shape or [1, 3, 640, 640]
        self.requests: list[dict[str, Any]] = []
        self.fail: Exception | None = None

    def get_model_metadata(self, model_name: str, model_version: str = "") -> Any:
        return _metadata(self.shape)

    def infer(
        self,
        model_name: str,
        inputs: list[Any],
        model_version: str = "",
        outputs: list[Any] | None = None,
        client_timeout: float | None = None,
    ) -> Any:
        if self.fail:
            raise self.fail
        tensor = inputs[0]._get_tensor()  # the protobuf InferInputTensor the client would send
        self.requests.append(
            {
                "model": model_name,
                "name": tensor.name,
                "datatype": tensor.datatype,
                "shape": list(tensor.shape),
                "data": np.frombuffer(inputs[0]._get_content(), np.float32),
                "outputs": [o._get_tensor().name for o in outputs or []],
                "timeout": client_timeout,
            }
        )
        return _answer(self.raw)


def _raw() -> npt.NDArray[np.float32]:
    raw = np.zeros((1, 84, 3), np.float32)
    raw[0, :4, 0] = (320, 320, 100, 200)
    raw[0, 4 + 0, 0] = 0.9  # person
    raw[0, :4, 1] = (100, 300, 60, 30)
    raw[0, 4 + 2, 1] = 0.7  # car
    raw[0, :4, 2] = (500, 300, 20, 20)
    raw[0, 4 + 26, 2] = 0.2  # a weak handbag
    return raw


def test_request_is_the_letterboxed_frame_and_response_is_decoded() -> None:
    server = RecordingServer(_raw())
    detector = TritonDetector("triton:8001", "yolo11n", client=server, timeout_s=2.0)
    assert detector.input_size_px == 640
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    found = detector.detect(frame)

    (request,) = server.requests
    assert request["model"] == "yolo11n" and request["name"] == "images"
    assert request["datatype"] == "FP32" and request["shape"] == [1, 3, 640, 640]
    assert request["outputs"] == ["output0"] and request["timeout"] == 2.0
    boxed, _ = letterbox(frame, 640)
    expected = (boxed[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0).ravel()
    np.testing.assert_allclose(request["data"], expected, atol=1e-7)

    assert found.class_names == ("person", "car")
    np.testing.assert_allclose(
        found.xyxy[0], [540 / 1280, 160 / 720, 740 / 1280, 560 / 720], atol=1e-5
    )


def test_batched_model_metadata_without_the_batch_axis() -> None:
    server = RecordingServer(_raw(), shape=[3, 416, 416])
    assert TritonDetector("t:1", "m", client=server).input_size_px == 416


def test_a_model_that_is_not_yolo_is_refused() -> None:
    with pytest.raises(ModelError, match=r"expected \[1, 3, S, S\]"):
        TritonDetector("t:1", "m", client=RecordingServer(_raw(), shape=[1, 300, 300, 3]))


def test_server_errors_become_model_errors() -> None:
    server = RecordingServer(_raw())
    detector = TritonDetector("t:1", "yolo11n", client=server)
    server.fail = InferenceServerException("model is not ready", status="StatusCode.UNAVAILABLE")
    with pytest.raises(ModelError, match="not ready"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


def test_an_unreachable_server_is_reported_at_load() -> None:
    # A real client to a closed port: metadata fails fast with gRPC UNAVAILABLE.
    with pytest.raises(ModelError, match="cannot describe model"):
        TritonDetector("127.0.0.1:1", "yolo11n")


def test_build_inputs_uses_tritonclient_types() -> None:
    inputs, fit = build_inputs(np.zeros((100, 200, 3), np.uint8), "images", 320)
    assert isinstance(inputs[0], grpcclient.InferInput)
    assert inputs[0].shape() == [1, 3, 320, 320] and inputs[0].datatype() == "FP32"
    assert fit.scale == 1.6 and fit.pad_y == 80
