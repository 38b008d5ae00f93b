"""The `detection:` section: motion gate, detector, class filters, tracker, faces, candidates."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
)

from vigil.config.base import (
    Base,
)


class MotionConfig(Base):
    """The motion gate: the detector runs only where something moved (see vision/motion.py)."""

    enabled: bool = Field(True, description="False runs the detector on every whole frame.")
    threshold: int = Field(20, ge=1, le=255, description="Grey-level change that is motion.")
    min_area: float = Field(
        0.0004, ge=0.0, le=0.5, description="Smallest moving blob, fraction of the frame."
    )
    recalibrate_fraction: float = Field(
        0.35,
        gt=0.0,
        le=1.0,
        description="Changed share of the picture taken as a light change (IR switch, "
        "headlights): the background is reset and the whole frame is checked.",
    )
    full_frame_every_s: float = Field(
        10.0, gt=0.0, description="Longest time between whole-frame checks (still people)."
    )


class ClassFilterConfig(Base):
    """False-positive filter for one class."""

    min_confidence: float = Field(0.5, ge=0.0, le=1.0, description="Least score to start a track.")
    min_area: float = Field(0.0, ge=0.0, le=1.0, description="Smallest box, fraction of frame.")
    max_area: float = Field(1.0, ge=0.0, le=1.0, description="Largest box, fraction of frame.")
    min_track_frames: int = Field(
        2, ge=1, description="Frames a track must be seen in before its detections are published."
    )


class TrackerConfig(Base):
    """Multi-object tracking (ByteTrack) after detection."""

    lost_track_s: float = Field(
        5.0, gt=0.0, description="Seconds a track survives unseen (occlusions)."
    )
    low_confidence: float = Field(
        0.3, ge=0.05, le=1.0, description="Weaker detections down to this only extend tracks."
    )
    stationary_window_s: float = Field(
        10.0, gt=0.0, description="Window over which a track that has not moved is stationary."
    )


class FacesConfig(Base):
    """Face embeddings for search: one per person track, from its best face."""

    enabled: bool = Field(
        False,
        description="Detect (YuNet), judge, align and embed (SFace, 128-d stored as 512-d) the "
        "best face of each person track into face_embeddings. Costs ~10-20 ms per try and "
        "~60-100 ms per embedded face on one CPU core.",
    )
    every_s: float = Field(2.0, gt=0.0, description="Least time between face tries per track.")
    max_tries: int = Field(5, ge=1, description="Face tries per track.")
    match_threshold: float = Field(
        0.4,
        gt=0.0,
        le=1.0,
        description="Cosine similarity from which a camera face is taken as an enrolled "
        "person's (the default threshold of new watchlists).",
    )
    watchlist_clear_s: float = Field(
        120.0,
        gt=0.0,
        description="A watchlist person not matched again on a camera for this long ends the "
        "visit (the alert is marked cleared); a later match is a new alert.",
    )


class CandidatesConfig(Base):
    """Uncertain detections saved as training candidates (frame JPEG + inference JSON)."""

    enabled: bool = Field(True, description="Save uncertain frames to the training-data store.")
    low: float = Field(0.3, ge=0.0, le=1.0, description="Lowest score that counts as uncertain.")
    high: float = Field(0.6, ge=0.0, le=1.0, description="Scores from here up are confident.")
    min_interval_s: float = Field(
        60.0, ge=0.0, description="At most one candidate frame per camera in this many seconds."
    )


class DetectionConfig(Base):
    model: Literal["ssdlite-person", "nanodet-g", "yolo"] = Field(
        "ssdlite-person",
        description="ssdlite-person: the shipped person model; nanodet-g: the shipped COCO "
        "model, returning people, vehicles and bags; yolo: a YOLOv8/YOLO11 ONNX export (80 COCO "
        "classes) given by model_path.",
    )
    model_path: Path | None = None
    min_confidence: float = Field(0.5, ge=0.05, le=1.0)
    frame_interval_s: float = Field(1.0, ge=0.1, le=60.0)
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads per session.")
    workers: int = Field(1, ge=1, le=16, description="Parallel detector sessions.")
    motion: MotionConfig = Field(default_factory=MotionConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    faces: FacesConfig = Field(default_factory=FacesConfig)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    filters: dict[str, ClassFilterConfig] = Field(
        default_factory=dict,
        description="Per-class false-positive filters by class name; classes not listed use "
        "min_confidence above and a minimum track age of 2 frames.",
    )
