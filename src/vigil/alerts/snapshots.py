"""Event snapshots: the analysed frame as JPEG with the zone and the people's boxes drawn."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detection

_BOX = (40, 40, 240)  # BGR red: the people who triggered the rule
_OTHER = (60, 200, 60)
_ZONE = (0, 200, 255)


def render_snapshot(
    image_bgr: npt.NDArray[np.uint8],
    detections: Iterable[Detection],
    zone_polygon: Sequence[tuple[float, float]] | None = None,
    quality: int = 85,
) -> bytes:
    """JPEG bytes of `image_bgr` with the zone outline and labelled boxes.

    Boxes and the polygon are normalised (0..1, origin top-left) and scaled to the image here.
    """
    canvas = image_bgr.copy()
    h, w = canvas.shape[:2]
    thickness = max(2, round(min(w, h) / 300))
    if zone_polygon:
        pts = np.array([[round(x * w), round(y * h)] for x, y in zone_polygon], np.int32)
        overlay = canvas.copy()
        cv2.fillPoly(overlay, [pts], _ZONE)
        cv2.addWeighted(overlay, 0.18, canvas, 0.82, 0, dst=canvas)
        cv2.polylines(canvas, [pts], True, _ZONE, thickness)
    for det in detections:
        x1, y1, x2, y2 = det.bbox_xyxy
        p1, p2 = (round(x1 * w), round(y1 * h)), (round(x2 * w), round(y2 * h))
        colour = _BOX if zone_polygon is not None else _OTHER
        cv2.rectangle(canvas, p1, p2, colour, thickness)
        label = f"{det.class_name} {det.confidence:.0%}"
        scale = max(0.5, min(w, h) / 900)
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(p1[1], th + base + 2)
        cv2.rectangle(canvas, (p1[0], ty - th - base - 2), (p1[0] + tw + 4, ty), colour, -1)
        cv2.putText(
            canvas,
            label,
            (p1[0] + 2, ty - base),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
    ok, jpeg = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the snapshot as JPEG")
    return bytes(jpeg.tobytes())


def encode_jpeg(image_bgr: npt.NDArray[np.uint8], quality: int = 80) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the frame as JPEG")
    return bytes(jpeg.tobytes())
