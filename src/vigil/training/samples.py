"""Labelled samples: operator uploads in the training-data store (`uploads/…` image + `.json`
sidecar with `labels: [{class, bbox}]`, boxes normalised xyxy, origin top-left)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from vigil.storage import ObjectStore

BUCKET = "training-data"
_IMAGE_EXTS = (".jpg", ".png", ".webp")


@dataclass(frozen=True, slots=True)
class Label:
    class_name: str
    bbox_xyxy: tuple[float, float, float, float]  # normalised 0..1


@dataclass(frozen=True, slots=True)
class Sample:
    key: str  # the image's key in the training-data bucket
    width: int  # pixels
    height: int
    labels: tuple[Label, ...]


def sample_keys(store: ObjectStore) -> list[str]:
    """Keys of the uploaded sample images, oldest first (keys start with the upload date)."""
    return sorted(
        info.key for info in store.list(BUCKET, "uploads/") if info.key.endswith(_IMAGE_EXTS)
    )


def load_sample(store: ObjectStore, key: str) -> Sample | None:
    """The sample's labels and size from its sidecar; None when the sidecar is missing or
    unreadable (such a sample has no labels to learn or score from)."""
    try:
        meta = json.loads(store.get_bytes(BUCKET, key.rsplit(".", 1)[0] + ".json"))
        labels = tuple(
            Label(str(item["class"]), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
            for item in meta.get("labels", [])
            for b in [item["bbox"]]
        )
        return Sample(key, int(meta["width"]), int(meta["height"]), labels)
    except Exception:  # a broken sidecar is skipped, never fatal to the job
        return None


def iter_samples(store: ObjectStore) -> Iterator[Sample]:
    for key in sample_keys(store):
        sample = load_sample(store, key)
        if sample is not None:
            yield sample
