"""Faces on real photos: the same person after flips, light and scale changes matches; another
person does not; poor faces are rejected with a reason.

Photos available offline: scikit-image's `astronaut.png` (Eileen Collins, frontal) and
`camera.png` (the cameraman, head turned), opencv-doc's `messi5.jpg` (a footballer, small face:
cut out and enlarged 2.5x).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

from vigil.model.detections import Detection, Detections
from vigil.vision.face_tracks import FaceCollector
from vigil.vision.faces import (
    ARCFACE_TEMPLATE,
    EMBEDDING_MODEL,
    FaceDetector,
    FaceSettings,
    SFaceEmbedder,
    align,
    sharpness,
    similarity,
    turn,
)
from vigil.vision.tracker import Track

Image = npt.NDArray[np.uint8]
SKIMAGE_DATA = Path(skimage.data.__file__).parent
T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def faces() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def embedder() -> SFaceEmbedder:
    return SFaceEmbedder()


@pytest.fixture(scope="module")
def photos(read_image: Callable[[str], Image]) -> dict[str, Image]:
    messi = read_image("messi5.jpg")[40:240, 150:350]
    return {
        "astronaut": np.asarray(cv2.imread(str(SKIMAGE_DATA / "astronaut.png")), np.uint8),
        "messi": np.asarray(
            cv2.resize(messi, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC), np.uint8
        ),
        "cameraman": np.asarray(cv2.imread(str(SKIMAGE_DATA / "camera.png")), np.uint8),
    }


def _variants(image: Image) -> Iterator[tuple[str, Image]]:
    yield "as is", image
    yield "mirrored", cv2.flip(image, 1)
    yield "brighter", np.clip(image.astype(np.float32) * 1.3 + 20, 0, 255).astype(np.uint8)
    yield "smaller", np.asarray(cv2.resize(image, None, fx=0.6, fy=0.6), np.uint8)
    yield "larger", np.asarray(cv2.resize(image, None, fx=1.5, fy=1.5), np.uint8)
    h, w = image.shape[:2]
    tilt = cv2.getRotationMatrix2D((w / 2, h / 2), 10, 1)
    yield "tilted 10 deg", np.asarray(cv2.warpAffine(image, tilt, (w, h)), np.uint8)


def test_same_person_matches_and_different_people_do_not(
    photos: dict[str, Image], faces: FaceDetector, embedder: SFaceEmbedder
) -> None:
    threshold = FaceSettings().match_threshold
    vectors = {}
    for name in ("astronaut", "messi"):
        for variant, image in _variants(photos[name]):
            found = [f for f in faces.detect(image) if f.rejected is None]
            assert found, f"no usable face in {name} ({variant})"
            vectors[(name, variant)] = embedder.embed(found[0].aligned)
    for a, b in itertools.combinations(vectors, 2):
        score = similarity(vectors[a], vectors[b])
        if a[0] == b[0]:
            assert score >= threshold, f"{a} vs {b}: {score:.3f}"
        else:
            assert score < threshold, f"{a} vs {b}: {score:.3f}"


def test_embeddings_are_unit_length_128d_zero_padded_to_512(
    photos: dict[str, Image], faces: FaceDetector, embedder: SFaceEmbedder
) -> None:
    vector = embedder.embed(faces.detect(photos["astronaut"])[0].aligned)
    assert vector.shape == (512,) and vector.dtype == np.float32
    assert embedder.dim == 512 and embedder.name == EMBEDDING_MODEL == "sface-2021dec"
    assert float(np.linalg.norm(vector[:128])) == pytest.approx(1.0, abs=1e-5)
    assert not vector[128:].any()  # zeros: cosine similarity is SFace's own
    with pytest.raises(ValueError, match="112x112"):
        embedder.embed(np.zeros((160, 160, 3), np.uint8))


def test_poor_faces_are_rejected_with_a_reason(
    photos: dict[str, Image], faces: FaceDetector
) -> None:
    (turned,) = faces.detect(photos["cameraman"])
    assert turned.rejected is not None and turned.rejected.startswith("turned away")
    tiny = cv2.resize(photos["astronaut"], None, fx=0.15, fy=0.15, interpolation=cv2.INTER_AREA)
    small = faces.detect(np.asarray(tiny, np.uint8))
    assert all(f.rejected is not None and f.rejected.startswith("too small") for f in small)
    blurred = np.asarray(cv2.GaussianBlur(photos["astronaut"], (0, 0), 6), np.uint8)
    found = faces.detect(blurred)
    assert found and all(f.rejected is not None for f in found)
    (good,) = faces.detect(photos["astronaut"])
    assert good.rejected is None and good.quality > 0.5


def test_alignment_levels_the_eyes(photos: dict[str, Image], faces: FaceDetector) -> None:
    image = photos["astronaut"]
    h, w = image.shape[:2]
    tilted = np.asarray(
        cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 15, 1), (w, h)), np.uint8
    )
    face = faces.detect(tilted)[0]
    again = [f for f in faces.detect(face.aligned) if f.rejected is None]
    assert again, "no face in the aligned picture"
    (lx, ly), (rx, ry) = again[0].landmarks[:2]
    # All five landmarks are fitted, not the eyes alone: this slightly turned face keeps a few
    # degrees of eye slope (the input's was 15).
    assert abs(np.degrees(np.arctan2(ry - ly, rx - lx))) < 7
    assert 30 <= rx - lx <= 42  # the template's eyes: 35 px apart
    assert face.aligned.shape == (112, 112, 3)


def test_quality_helpers() -> None:
    assert turn(((0, 0), (10, 0), (5, 6))) == pytest.approx(0.0)
    assert turn(((0, 0), (10, 0), (9, 6))) == pytest.approx(0.4)
    flat = np.full((112, 112, 3), 128, np.uint8)
    assert sharpness(flat) == 0.0
    eyes = ((10.0, 20.0), (30.0, 20.0))
    assert align(np.zeros((50, 50, 3), np.uint8), eyes).shape == (112, 112, 3)
    # Five landmarks already on the template come out where they were.
    template = tuple((float(x), float(y)) for x, y in ARCFACE_TEMPLATE)
    picture = np.random.default_rng(0).integers(0, 256, (112, 112, 3), np.uint8)
    assert np.abs(align(picture, template).astype(int) - picture).max() <= 1


def test_one_embedding_per_track_from_its_best_face(
    photos: dict[str, Image], faces: FaceDetector, embedder: SFaceEmbedder
) -> None:
    """A 'person' box whose upper half holds the astronaut's face, seen over 6 s."""
    astronaut = photos["astronaut"]
    frame = np.zeros((1024, 1024, 3), np.uint8)
    frame[100:612, 256:768] = astronaut
    person = Detection("person", 0.9, (0.25, 0.09, 0.75, 0.95), track_id=7)
    other = Detection("car", 0.9, (0.0, 0.0, 0.2, 0.2), track_id=8)
    collector = FaceCollector("cam-1", faces, embedder, every_s=2.0, max_tries=2)
    for t in range(6):
        image = frame if t != 2 else np.asarray(cv2.GaussianBlur(frame, (0, 0), 6), np.uint8)
        collector.observe(image, Detections.from_list([person, other]), T0 + timedelta(seconds=t))
    track = Track(7, "person", T0, T0 + timedelta(seconds=5), person.bbox_xyxy, 0.9)
    (record,) = collector.finish([track, Track(8, "car", T0, T0, other.bbox_xyxy, 0.9)])
    assert record.track_id == 7 and record.camera_id == "cam-1"
    assert record.captured_at == T0  # tried at 0 s and 2 s (blurred, rejected) only
    direct = embedder.embed(faces.detect(astronaut)[0].aligned)
    assert similarity(record.embedding, direct) > 0.9
    assert collector.finish([track]) == []  # once per track


def test_detector_and_embedder_are_shared_between_threads(
    photos: dict[str, Image], faces: FaceDetector, embedder: SFaceEmbedder
) -> None:
    """One detector and one embedder serve every camera's thread (vision/settings.py)."""
    pictures = [photos["astronaut"], photos["messi"]] * 4

    def run(image: Image) -> npt.NDArray[np.float32]:
        return embedder.embed(faces.detect(image)[0].aligned)

    alone = [run(image) for image in pictures]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(run, pictures))
    for a, b in zip(alone, together, strict=True):
        assert np.allclose(a, b, atol=1e-5)
