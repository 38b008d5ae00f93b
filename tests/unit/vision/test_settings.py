"""The site file's vision sections: validation and what the pipeline is built with."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.config import parse_config
from vigil.errors import ConfigError
from vigil.vision.settings import (
    camera_masks,
    detector_floor,
    gate_settings,
    tracker_settings,
)


def _site(detection: dict[str, Any] | None = None, masks: Any = None) -> dict[str, Any]:
    camera: dict[str, Any] = {"id": "gate", "name": "Gate", "channel": 1}
    if masks is not None:
        camera["motion_masks"] = masks
    data: dict[str, Any] = {
        "site": {"id": "plant", "name": "Plant"},
        "dvr": {"host": "192.0.2.10", "username": "admin", "password": "secret"},
        "cameras": [camera],
    }
    if detection is not None:
        data["detection"] = detection
    return data


def test_defaults() -> None:
    cfg = parse_config(_site()).detection
    gate, tracker = gate_settings(cfg), tracker_settings(cfg)
    assert gate.enabled and gate.full_frame_every_s == 10.0
    assert tracker.default_filter.min_confidence == 0.5
    assert tracker.default_filter.min_track_frames == 2
    assert detector_floor(cfg) == 0.3
    assert not cfg.faces.enabled and cfg.candidates.enabled


def test_sections_reach_the_pipeline() -> None:
    config = parse_config(
        _site(
            {
                "model": "nanodet-g",
                "min_confidence": 0.45,
                "motion": {"enabled": False, "threshold": 30, "full_frame_every_s": 5},
                "tracker": {"lost_track_s": 8, "low_confidence": 0.2},
                "filters": {
                    "car": {"min_confidence": 0.6, "min_area": 0.001, "min_track_frames": 3}
                },
            },
            masks=[[[0, 0], [0.3, 0], [0.3, 0.08], [0, 0.08]]],
        )
    )
    cfg = config.detection
    gate, tracker = gate_settings(cfg), tracker_settings(cfg)
    assert not gate.enabled and gate.motion.threshold == 30 and gate.full_frame_every_s == 5
    assert tracker.lost_track_s == 8 and detector_floor(cfg) == 0.2
    car = tracker.filter_for("car")
    assert (car.min_confidence, car.min_area, car.min_track_frames) == (0.6, 0.001, 3)
    assert tracker.filter_for("person").min_confidence == 0.45
    assert camera_masks(config) == {"gate": [[(0, 0), (0.3, 0), (0.3, 0.08), (0, 0.08)]]}


@pytest.mark.parametrize(
    ("detection", "masks", "message"),
    [
        (None, [[[0, 0], [1, 0]]], "at least 3 points"),
        (None, [[[0, 0], [1.5, 0], [1, 1]]], "outside 0..1"),
        ({"model": "yolov9"}, None, "detection.model"),
        ({"filters": {"person": {"min_track_frames": 0}}}, None, "min_track_frames"),
        ({"motion": {"recalibrate_fraction": 0}}, None, "recalibrate_fraction"),
    ],
)
def test_errors_name_the_field(detection: Any, masks: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_site(detection, masks))
