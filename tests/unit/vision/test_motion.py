"""The motion gate: moving blobs, masks, light changes, and the crops planned from them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from vigil.vision.motion import MotionDetector, MotionSettings, mask_image, plan_crops

Frame = npt.NDArray[np.uint8]


def _scene(width: int = 640, height: int = 480) -> Frame:
    """A textured, static background (gradient + fixed noise)."""
    rng = np.random.default_rng(7)
    x = np.linspace(40, 160, width, dtype=np.float32)
    base = np.tile(x, (height, 1)) + rng.normal(0, 4, (height, width))
    return np.repeat(np.clip(base, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def _with_person(scene: Frame, x: int, y: int, w: int = 30, h: int = 80) -> Frame:
    out = scene.copy()
    out[y : y + h, x : x + w] = (240, 240, 250)
    return out


def test_a_still_scene_has_no_motion() -> None:
    motion = MotionDetector()
    scene = _scene()
    first = motion.update(scene)
    assert first.recalibrated and first.regions == ()
    for _ in range(3):
        result = motion.update(scene)
        assert not result.recalibrated and result.regions == ()


def test_a_moving_blob_is_one_region_around_it() -> None:
    motion = MotionDetector()
    scene = _scene()
    motion.update(scene)
    result = motion.update(_with_person(scene, 300, 200))
    assert len(result.regions) == 1
    x1, y1, x2, y2 = result.regions[0]
    # The blob is x 300-330, y 200-280 of 640x480; the region holds it with a little margin.
    assert x1 * 640 <= 300 and x2 * 640 >= 330 and y1 * 480 <= 200 and y2 * 480 >= 280
    assert (x2 - x1) * 640 < 60 and (y2 - y1) * 480 < 110
    assert 0 < result.changed_fraction < 0.05


def test_tiny_changes_are_ignored() -> None:
    motion = MotionDetector()
    scene = _scene()
    motion.update(scene)
    assert motion.update(_with_person(scene, 300, 200, w=3, h=3)).regions == ()


def test_masked_pixels_never_count() -> None:
    # A timestamp overlay in the top-left corner changes every second.
    overlay = ((0.0, 0.0), (0.4, 0.0), (0.4, 0.1), (0.0, 0.1))
    masked = MotionDetector(MotionSettings(masks=(overlay,)))
    unmasked = MotionDetector()
    scene = _scene()
    for detector in (masked, unmasked):
        detector.update(scene)
    clock = _with_person(scene, 20, 5, w=200, h=30)
    assert masked.update(clock).regions == ()
    assert len(unmasked.update(clock).regions) == 1


def test_a_global_light_change_recalibrates_instead_of_reporting_motion() -> None:
    motion = MotionDetector()
    scene = _scene()
    motion.update(scene)
    night = (scene * 0.4).astype(np.uint8)  # the IR cut filter switches
    result = motion.update(night)
    assert result.recalibrated and result.regions == () and result.changed_fraction > 0.35
    assert motion.recalibrations == 1
    # The new background is the night picture: it is still, and a walker shows again.
    assert motion.update(night).regions == ()
    assert len(motion.update(_with_person(night, 100, 300)).regions) == 1


def test_mask_image_blanks_the_polygon() -> None:
    image = mask_image(100, 50, [((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))])
    assert image.shape == (50, 100)
    assert image[:, :49].min() == 255 and image[:, 51:].max() == 0


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        # A small region in the middle becomes a 300x300 crop centred on it.
        ([(0.5, 0.5, 0.55, 0.6)], [(186, 114, 486, 414)]),
        # In a corner it is shifted inside the frame, not shrunk.
        ([(0.0, 0.0, 0.02, 0.02)], [(0, 0, 300, 300)]),
        # Far apart: two crops.
        ([(0.05, 0.1, 0.1, 0.2), (0.85, 0.7, 0.9, 0.8)], [(0, 0, 300, 300), (340, 180, 640, 480)]),
        # Overlapping crops merge into their union.
        ([(0.2, 0.4, 0.25, 0.5), (0.35, 0.4, 0.4, 0.5)], [(0, 66, 390, 366)]),
        # Larger than the minimum: the padded region itself.
        ([(0.25, 0.25, 0.75, 0.75)], [(80, 60, 560, 420)]),
    ],
)
def test_plan_crops(
    regions: list[tuple[float, float, float, float]], expected: list[tuple[int, ...]]
) -> None:
    assert plan_crops(regions, 640, 480, min_size_px=300, padding=0.25) == expected


def test_plan_crops_never_leave_the_frame_and_are_at_least_the_input_size() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        x1, y1 = rng.uniform(0, 0.95, 2)
        w, h = rng.uniform(0.01, 0.3, 2)
        box = (float(x1), float(y1), float(min(1, x1 + w)), float(min(1, y1 + h)))
        for c in plan_crops([box], 768, 576, min_size_px=300):
            assert 0 <= c[0] < c[2] <= 768 and 0 <= c[1] < c[3] <= 576
            assert c[2] - c[0] >= 300 and c[3] - c[1] >= 300
            # The crop holds the region.
            assert c[0] <= box[0] * 768 + 1 and c[2] >= box[2] * 768 - 1


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="alpha"):
        MotionSettings(alpha=0)
    with pytest.raises(ValueError, match="width_px"):
        MotionSettings(width_px=8)
