"""Real face photos for tests: scikit-image's astronaut (Eileen Collins) and OpenCV's Messi."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import skimage.data

SKIMAGE_DATA = Path(skimage.data.__file__).parent
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
Image = npt.NDArray[np.uint8]


def astronaut() -> Image:
    return np.asarray(cv2.imread(str(SKIMAGE_DATA / "astronaut.png")), np.uint8)


def messi() -> Image:
    """Messi's head and shoulders, enlarged so the face is big enough to embed."""
    image = cv2.imread(str(OPENCV_DATA / "messi5.jpg"))[40:240, 150:350]
    return np.asarray(cv2.resize(image, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC))


def two_people() -> Image:
    """Both faces side by side in one picture."""
    left = astronaut()
    right = cv2.resize(messi(), (left.shape[1], left.shape[0]))
    return np.asarray(np.hstack([left, right]), np.uint8)


def wall() -> Image:
    return np.full((240, 320, 3), 120, np.uint8)


def png(image: Image) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def jpeg(image: Image) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()
