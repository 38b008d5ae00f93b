from __future__ import annotations

import cv2
import numpy as np

from vigil.alerts.snapshots import render_snapshot
from vigil.model.detections import Detection


def test_snapshot_draws_box_and_zone_at_scaled_positions() -> None:
    image = np.full((1080, 960, 3), 128, np.uint8)
    jpeg = render_snapshot(
        image,
        [Detection("person", 0.87, (0.25, 0.25, 0.5, 0.75))],
        [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
    )
    out = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert out.shape == image.shape
    # The box's right edge at x = 0.5 * 960 = 480, mid-height, is drawn in red (BGR).
    b, g, r = (int(v) for v in out[600, 480])
    assert r > 180 and b < 100 and g < 100
    # Far from any drawing, the image is untouched grey; the zone is tinted.
    assert abs(int(out[100, 100][0]) - 128) < 6
    assert int(out[900, 100][2]) > 140  # orange-tinted zone fill
