"""Low-light help for the detector: stretch the contrast of dark frames before detection.

IR night pictures are grey, dark and noisy; the person model was trained on daylight colour.
Stretching the 1st-99th percentile of grey levels to 0-255 (plus a light blur against
sensor noise) raised recall on simulated night vtest frames from 0.16 to 0.24 at the same
precision or better (`vigil bench vision`); CLAHE did less (0.17).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt


def enhance_low_light(image_bgr: npt.NDArray[np.uint8], dark_below: float) -> npt.NDArray[np.uint8]:
    """The frame itself when its mean grey level is >= `dark_below` (0-255), else a stretched
    copy. `dark_below` 0 turns this off."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    if float(grey.mean()) >= dark_below:
        return image_bgr
    low, high = np.percentile(grey, (1, 99))
    scale = 255.0 / max(1.0, float(high - low))
    stretched = np.clip((image_bgr.astype(np.float32) - float(low)) * scale, 0, 255)
    return np.asarray(cv2.GaussianBlur(stretched.astype(np.uint8), (3, 3), 0), np.uint8)
