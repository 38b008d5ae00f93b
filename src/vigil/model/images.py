"""Uploaded images, checked safely: size limit, type by content (not by name or header), and the
picture's dimensions checked from its header before anything is decoded (decompression bombs
are refused without allocating their pixels)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import VigilError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE_PX = 8192
MAX_PIXELS = 40_000_000


class UploadError(VigilError):
    status_code = 400


class UploadTooLargeError(UploadError):
    status_code = 413


class UnsupportedMediaError(UploadError):
    status_code = 415


@dataclass(frozen=True, slots=True)
class ImageUpload:
    kind: str  # "jpeg" | "png" | "webp"
    width: int
    height: int
    data: bytes

    def decode(self) -> npt.NDArray[np.uint8]:
        """BGR pixels; only called once the header has passed the size checks."""
        image = cv2.imdecode(np.frombuffer(self.data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise UploadError(f"the {self.kind.upper()} file is damaged and cannot be decoded")
        return image.astype(np.uint8, copy=False)


def sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise UploadError("the PNG file has no header (IHDR)")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    raise UploadError("the JPEG file has no frame header (SOF)")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    raise UploadError("the WebP file has no recognisable header")


def check_image(
    data: bytes, *, field: str = "file", max_bytes: int = MAX_UPLOAD_BYTES
) -> ImageUpload:
    """Validate an uploaded image's bytes; raises UploadError subclasses naming the field."""
    if not data:
        raise UploadError(f"{field}: the file is empty")
    if len(data) > max_bytes:
        raise UploadTooLargeError(
            f"{field}: {len(data)} bytes is over the limit of {max_bytes} bytes"
        )
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMediaError(
            f"{field}: not a JPEG, PNG or WebP image (judged by its "
            "content, whatever its name or declared type)"
        )
    width, height = {"jpeg": _jpeg_size, "png": _png_size, "webp": _webp_size}[kind](data)
    if width <= 0 or height <= 0:
        raise UploadError(f"{field}: the image says it is {width}x{height} pixels")
    if width > MAX_SIDE_PX or height > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise UploadTooLargeError(
            f"{field}: {width}x{height} pixels is too large (at most {MAX_SIDE_PX} per side "
            f"and {MAX_PIXELS // 1_000_000} megapixels)"
        )
    return ImageUpload(kind, width, height, data)
