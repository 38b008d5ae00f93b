"""Vision settings from the site file (`detection:` and each camera's `motion_masks`)."""

from __future__ import annotations

from collections.abc import Callable

from vigil.config import DetectionConfig, SiteConfig
from vigil.db.session import Database
from vigil.storage.base import ObjectStore
from vigil.vision.candidates import CandidateSampler
from vigil.vision.face_tracks import FaceCollector, FaceRecord, store_faces
from vigil.vision.motion import MotionSettings, Polygon
from vigil.vision.pipeline import GateSettings
from vigil.vision.tracker import ClassFilter, TrackerSettings
from vigil.vision.watchlist import EarlyFaceCollector, SeenFace


def detector_floor(cfg: DetectionConfig) -> float:
    """The score the detector itself keeps: low enough for the tracker's second stage."""
    return min(cfg.min_confidence, cfg.tracker.low_confidence)


def gate_settings(cfg: DetectionConfig) -> GateSettings:
    motion = cfg.motion
    return GateSettings(
        enabled=motion.enabled,
        full_frame_every_s=motion.full_frame_every_s,
        motion=MotionSettings(
            threshold=motion.threshold,
            min_area=motion.min_area,
            recalibrate_fraction=motion.recalibrate_fraction,
        ),
    )


def tracker_settings(cfg: DetectionConfig) -> TrackerSettings:
    filters = {
        name: ClassFilter(f.min_confidence, f.min_area, f.max_area, f.min_track_frames)
        for name, f in cfg.filters.items()
    }
    return TrackerSettings(
        lost_track_s=cfg.tracker.lost_track_s,
        low_confidence=cfg.tracker.low_confidence,
        stationary_window_s=cfg.tracker.stationary_window_s,
        default_filter=ClassFilter(min_confidence=cfg.min_confidence),
        filters=filters,
    )


def camera_masks(config: SiteConfig) -> dict[str, list[Polygon]]:
    return {cam.id: list(cam.motion_masks) for cam in config.cameras if cam.motion_masks}


def face_stage(
    cfg: DetectionConfig,
    db: Database,
    on_stored: Callable[[list[SeenFace]], None] | None = None,
) -> tuple[Callable[[str], FaceCollector] | None, Callable[[list[FaceRecord]], None] | None]:
    """(collector factory, sink) for `DetectionWorker`, or (None, None) when faces are off.

    The sink stores the faces, then hands them to `on_stored` (the watchlist matcher, which
    only queues them: its database work happens off the detection thread); with `on_stored`,
    each track's first usable face is handed over at once as well (not stored)."""
    if not cfg.faces.enabled:
        return None, None
    from vigil.vision.faces import FaceDetector, SFaceEmbedder

    detector, embedder = FaceDetector(), SFaceEmbedder()  # shared: both are thread-safe
    every_s, tries = cfg.faces.every_s, cfg.faces.max_tries

    def collector(camera_id: str) -> FaceCollector:
        if on_stored is not None:  # watchlists: match each track's first face at once too
            return EarlyFaceCollector(
                camera_id, detector, embedder, on_stored, every_s=every_s, max_tries=tries
            )
        return FaceCollector(camera_id, detector, embedder, every_s=every_s, max_tries=tries)

    def sink(records: list[FaceRecord]) -> None:
        ids = store_faces(db, records)
        if on_stored is not None:
            on_stored(
                [
                    SeenFace(
                        i,
                        r.camera_id,
                        r.track_id,
                        r.captured_at,
                        r.embedding,
                        r.face_bgr,
                        r.embedding_model,
                    )
                    for i, r in zip(ids, records, strict=True)
                ]
            )

    return collector, sink


def candidate_sampler(
    cfg: DetectionConfig, store: ObjectStore, model: str
) -> CandidateSampler | None:
    c = cfg.candidates
    if not c.enabled:
        return None
    return CandidateSampler(
        store, model=model, low=c.low, high=c.high, min_interval_s=c.min_interval_s
    )
