"""The common detection value type every detector backend returns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Detection:
    """One detection. `bbox_xyxy` is normalised to [0, 1] of the frame (x1, y1, x2, y2)."""

    class_name: str
    confidence: float
    bbox_xyxy: tuple[float, float, float, float]
    track_id: int | None = None

    @property
    def foot_point(self) -> tuple[float, float]:
        """Bottom-centre of the box (normalised): where a person stands on the ground."""
        x1, _, x2, y2 = self.bbox_xyxy
        return ((x1 + x2) / 2.0, y2)

    def to_json(self) -> dict[str, object]:
        return {
            "class": self.class_name,
            "confidence": round(self.confidence, 4),
            "bbox": [round(v, 5) for v in self.bbox_xyxy],
            "track_id": self.track_id,
        }


@dataclass(frozen=True, slots=True)
class Detections:
    """Parallel arrays of N detections.

    xyxy: float32 (N, 4), normalised [0, 1] (x1, y1, x2, y2); confidence: float32 (N,);
    class_names: N labels.
    """

    xyxy: npt.NDArray[np.float32]
    confidence: npt.NDArray[np.float32]
    class_names: tuple[str, ...]
    track_ids: tuple[int | None, ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.class_names)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"xyxy must have shape ({n}, 4), got {self.xyxy.shape}")
        if self.confidence.shape != (n,):
            raise ValueError(f"confidence must have shape ({n},), got {self.confidence.shape}")
        if self.track_ids and len(self.track_ids) != n:
            raise ValueError(f"track_ids must have {n} entries, got {len(self.track_ids)}")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), ())

    @classmethod
    def from_list(cls, items: Sequence[Detection]) -> Detections:
        if not items:
            return cls.empty()
        return cls(
            np.array([d.bbox_xyxy for d in items], dtype=np.float32).reshape(-1, 4),
            np.array([d.confidence for d in items], dtype=np.float32),
            tuple(d.class_name for d in items),
            tuple(d.track_id for d in items),
        )

    def __len__(self) -> int:
        return len(self.class_names)

    def __iter__(self) -> Iterator[Detection]:
        for i in range(len(self)):
            x1, y1, x2, y2 = (float(v) for v in self.xyxy[i])
            yield Detection(
                class_name=self.class_names[i],
                confidence=float(self.confidence[i]),
                bbox_xyxy=(x1, y1, x2, y2),
                track_id=self.track_ids[i] if self.track_ids else None,
            )
