"""Uploaded images: type by content, dimensions from the header, bombs refused undecoded."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from vigil.model.images import UnsupportedMediaError, UploadError, UploadTooLargeError, check_image

MESSI = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: a decompression-bomb shape, a few bytes long."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_real_jpeg_and_png_are_measured_and_decoded() -> None:
    data = MESSI.read_bytes()
    image = check_image(data)
    assert (image.kind, image.width, image.height) == ("jpeg", 548, 342)
    assert image.decode().shape == (342, 548, 3)
    ok, png = cv2.imencode(".png", np.zeros((40, 30, 3), np.uint8))
    assert ok
    assert (check_image(png.tobytes()).width, check_image(png.tobytes()).height) == (30, 40)
    ok, webp = cv2.imencode(".webp", np.full((20, 50, 3), 99, np.uint8))
    assert ok
    parsed = check_image(webp.tobytes())
    assert (parsed.kind, parsed.width, parsed.height) == ("webp", 50, 20)


@pytest.mark.parametrize(
    ("data", "error", "fragment"),
    [
        (b"", UploadError, "empty"),
        (b"GIF89a" + b"\x00" * 100, UnsupportedMediaError, "not a JPEG, PNG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", UnsupportedMediaError, "by its content"),
        (_png_header_only(100_000, 100_000), UploadTooLargeError, "too large"),
        (_png_header_only(9000, 10), UploadTooLargeError, "8192 per side"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, UploadError, "no frame header"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    data: bytes, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        check_image(data, field="photo")


def test_size_limit_and_damaged_content() -> None:
    with pytest.raises(UploadTooLargeError, match="over the limit of 1000 bytes"):
        check_image(MESSI.read_bytes(), max_bytes=1000)
    truncated = MESSI.read_bytes()[:600]  # header intact, pixels missing
    parsed = check_image(truncated)
    with pytest.raises(UploadError, match="damaged"):
        parsed.decode()
