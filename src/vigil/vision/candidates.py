"""Uncertain detections become training candidates in the training-data store.

A frame with a detection scored between `low` and `high` (0.3-0.6 by default: the model is
unsure) is saved as `candidates/<camera>/<yyyy>/<mm>/<dd>/<hhmmss>-<seq>.jpg` plus a `.json` of
the same name with what the model said (every box, normalised xyxy, with its score and class),
for people to label later. At most one frame per camera every `min_interval_s`, so a swaying
tree scored 0.4 all night does not fill the disk.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.storage.base import ObjectStore

BUCKET = "training-data"


class CandidateSampler:
    """Saves uncertain frames; safe to call from several threads."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        model: str,
        low: float = 0.3,
        high: float = 0.6,
        min_interval_s: float = 60.0,
        jpeg_quality: int = 90,
    ) -> None:
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"need 0 <= low < high <= 1, got {low}, {high}")
        self.store = store
        self.model = model
        self.low, self.high = low, high
        self.min_interval_s = min_interval_s
        self.jpeg_quality = jpeg_quality
        self._last: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self.saved = 0

    def offer(
        self,
        camera_id: str,
        seq: int,
        timestamp: datetime,
        image_bgr: npt.NDArray[np.uint8],
        detections: Detections,
    ) -> str | None:
        """Save the frame if it holds an uncertain detection and the camera is due; returns the
        key of the saved JPEG (None when nothing was saved)."""
        uncertain = (detections.confidence >= self.low) & (detections.confidence < self.high)
        if not uncertain.any():
            return None
        with self._lock:
            last = self._last.get(camera_id)
            if last is not None and (timestamp - last).total_seconds() < self.min_interval_s:
                return None
            self._last[camera_id] = timestamp
        ok, jpeg = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            return None
        stem = f"candidates/{camera_id}/{timestamp:%Y/%m/%d/%H%M%S}-{seq}"
        record = {
            "camera_id": camera_id,
            "timestamp": timestamp.isoformat(),
            "seq": seq,
            "model": self.model,
            "width": int(image_bgr.shape[1]),
            "height": int(image_bgr.shape[0]),
            "uncertain_range": [self.low, self.high],
            "detections": [
                {**d.to_json(), "uncertain": bool(u)}
                for d, u in zip(detections, uncertain, strict=True)
            ],
        }
        self.store.put_bytes(BUCKET, f"{stem}.jpg", jpeg.tobytes())
        self.store.put_bytes(BUCKET, f"{stem}.json", json.dumps(record).encode())
        self.saved += 1
        return f"{stem}.jpg"
