"""Uncertain detections (0.3-0.6) are saved as training candidates: JPEG + inference JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from vigil.model.detections import Detection, Detections
from vigil.storage import FsObjectStore
from vigil.vision.candidates import BUCKET, CandidateSampler

T0 = datetime(2026, 5, 4, 2, 30, 15, tzinfo=UTC)


def _dets(*scores: float) -> Detections:
    return Detections.from_list(
        [Detection("person", s, (0.1 * i, 0.1, 0.1 * i + 0.05, 0.3)) for i, s in enumerate(scores)]
    )


def test_an_uncertain_frame_is_saved_with_what_the_model_said(tmp_path: Path) -> None:
    store = FsObjectStore(tmp_path)
    sampler = CandidateSampler(store, model="ssdlite-person", min_interval_s=60)
    image = np.full((48, 64, 3), 90, np.uint8)
    key = sampler.offer("cam-2", 17, T0, image, _dets(0.9, 0.45))
    assert key == "candidates/cam-2/2026/05/04/023015-17.jpg"
    picture = cv2.imdecode(np.frombuffer(store.get_bytes(BUCKET, key), np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (48, 64, 3)
    record = json.loads(store.get_bytes(BUCKET, key.replace(".jpg", ".json")))
    assert (
        record["camera_id"] == "cam-2"
        and record["seq"] == 17
        and record["model"] == "ssdlite-person"
    )
    assert record["timestamp"] == T0.isoformat() and record["uncertain_range"] == [0.3, 0.6]
    assert [d["uncertain"] for d in record["detections"]] == [False, True]
    assert record["detections"][1]["confidence"] == pytest.approx(0.45)


@pytest.mark.parametrize(
    ("scores", "saved"),
    [
        ((0.9,), False),
        ((0.2,), False),
        ((0.3,), True),
        ((0.59,), True),
        ((0.6,), False),
        ((), False),
    ],
)
def test_only_scores_in_the_uncertain_range_count(
    tmp_path: Path, scores: tuple[float, ...], saved: bool
) -> None:
    sampler = CandidateSampler(FsObjectStore(tmp_path), model="m")
    key = sampler.offer("cam-1", 1, T0, np.zeros((8, 8, 3), np.uint8), _dets(*scores))
    assert (key is not None) is saved


def test_at_most_one_frame_per_camera_per_interval(tmp_path: Path) -> None:
    sampler = CandidateSampler(FsObjectStore(tmp_path), model="m", min_interval_s=60)
    image = np.zeros((8, 8, 3), np.uint8)
    offers = [
        sampler.offer("cam-1", i, T0 + timedelta(seconds=s), image, _dets(0.4))
        for i, s in enumerate((0, 30, 59, 60, 61))
    ]
    assert [o is not None for o in offers] == [True, False, False, True, False]
    assert sampler.offer("cam-2", 9, T0, image, _dets(0.4)) is not None  # cameras are separate
    assert sampler.saved == 3


def test_range_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="low < high"):
        CandidateSampler(FsObjectStore(tmp_path), model="m", low=0.6, high=0.3)
