"""The wheel a user installs: built from this checkout, installed into a fresh virtualenv from
the runtime lock alone (no cluster, bench or dev packages), it detects, tracks and embeds faces.

This is what `pip install vigil-*.whl` on an edge box gives; the test fails if a model file is
left out of the wheel, if a runtime import needs a package only the dev environment has, or if
the cluster extras became required.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[2]
VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")

pytestmark = pytest.mark.slow

# Runs inside the fresh virtualenv, from a folder outside the checkout, so `vigil` can only
# come from the installed wheel.
_PROBE = textwrap.dedent(
    """
    import importlib.util, json, sys
    from datetime import UTC, datetime, timedelta

    import cv2
    import numpy as np

    import vigil
    import vigil.app.runtime  # what `vigil up` and `vigil edge` run: no cluster package needed
    import vigil.app.workers
    from vigil.vision.detectors.base import load_detector
    from vigil.vision.faces import FaceDetector, SFaceEmbedder, similarity
    from vigil.vision.tracker import ObjectTracker

    frames_dir, face_path = sys.argv[1], sys.argv[2]
    detector = load_detector("ssdlite-person")
    tracker = ObjectTracker()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    people, ids = [], set()
    for i in range(6):
        frame = cv2.imread(f"{frames_dir}/{i}.png")
        found = detector.detect(frame)
        people.append(len(found))
        tracked = tracker.update(found, t0 + timedelta(seconds=i))
        ids.update(t for t in tracked.track_ids if t is not None)

    faces = FaceDetector()
    embedder = SFaceEmbedder()
    image = cv2.imread(face_path)
    (face, *_) = faces.detect(image)
    vector = embedder.embed(face.aligned)
    mirrored = faces.detect(np.ascontiguousarray(image[:, ::-1]))[0]
    print(json.dumps({
        "vigil": vigil.__file__,
        "people": people,
        "track_ids": sorted(ids),
        "embedding_dim": int(vector.shape[0]),
        "embedding_norm": float(np.linalg.norm(vector)),
        "same_face": similarity(vector, embedder.embed(mirrored.aligned)),
        "extras": {m: importlib.util.find_spec(m) is not None
                   for m in ("confluent_kafka", "boto3", "redis", "imageio_ffmpeg", "pytest")},
    }))
    """
)


def _run(*args: str | Path, cwd: Path | None = None, **env: str) -> str:
    """The command's stdout and stderr, together (it must succeed)."""
    done = _call(*args, cwd=cwd, **env)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _call(
    *args: str | Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command of the virtualenv, with nothing of this checkout on its path."""
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | env,
    )


@pytest.mark.skipif(not VTEST.is_file(), reason="needs Debian opencv-doc (make test installs it)")
def test_the_built_wheel_detects_tracks_and_embeds_faces_in_a_fresh_virtualenv(
    tmp_path: Path,
) -> None:
    from skimage import data

    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, ROOT)
    (wheel,) = dist.glob("vigil-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    _run(pip, "install", "-q", "--require-hashes", "-r", ROOT / "requirements" / "runtime.lock")
    # No index: whatever the wheel needs must already be in the runtime lock.
    _run(pip, "install", "-q", "--no-index", wheel)

    frames = tmp_path / "frames"
    frames.mkdir()
    video = cv2.VideoCapture(str(VTEST))
    for i in range(6):
        for _ in range(10):  # 1 fps of the 10 fps footage
            ok, frame = video.read()
            assert ok
        cv2.imwrite(str(frames / f"{i}.png"), frame)
    face = tmp_path / "astronaut.png"
    cv2.imwrite(str(face), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    probe = tmp_path / "probe.py"
    probe.write_text(_PROBE)

    printed = _run(venv / "bin" / "python", probe, frames, face, cwd=tmp_path)
    (line,) = [x for x in printed.splitlines() if x.startswith('{"vigil": ')]  # among any logs
    out = json.loads(line)

    assert out["vigil"].startswith(str(venv)), out["vigil"]
    # vtest shows several walkers in every frame; the person model finds most of them.
    assert all(n >= 1 for n in out["people"]) and sum(out["people"]) >= 10, out["people"]
    assert len(out["track_ids"]) >= 2, out["track_ids"]
    assert out["embedding_norm"] == pytest.approx(1.0, abs=1e-3)
    assert out["same_face"] > 0.6, out["same_face"]
    # An edge box installs without the cluster, bench and test packages.
    assert out["extras"] == dict.fromkeys(
        ("confluent_kafka", "boto3", "redis", "imageio_ffmpeg", "pytest"), False
    )
    cli = venv / "bin" / "vigil"
    assert "Usage" in _run(cli, "--help", cwd=tmp_path)
    site = ROOT / "examples" / "site.yaml"
    verdict = _run(cli, "config", "check", site, cwd=tmp_path, VIGIL_DVR_PASSWORD="x")
    assert "OK" in verdict and "camera(s)" in verdict, verdict
    # The benchmarks stay in the checkout: the wheel has none, and says where they are.
    bench = _call(cli, "bench", "ingest", "--quick", cwd=tmp_path)
    assert bench.returncode == 2, bench.stdout + bench.stderr
    said = " ".join((bench.stdout + bench.stderr).split())
    assert "source checkout's bench/" in said, said
