"""Vigil's own ByteTrack (`vigil.vision.tracker`) against the tracker it replaced (the `trackers`
library's ByteTrack, bench/legacy_tracker.py), on the same detections, both with the product's
default `TrackerSettings`.

* Synthetic walkers with ground truth (seeded): `crossing` (pairs walking towards each other on
  nearly the same line), `occlusion` (walkers passing behind a pillar for a few frames) and
  `crowd` (walkers entering and leaving at random, pillars, box jitter, missed detections,
  confidence dips, false positives), sampled at 1 fps with irregular capture times (jitter and
  dropped frames) and at 5 fps. Counted: id switches (a ground-truth walker whose published
  track id differs from its previous one), occlusions kept (a walker unseen for >= 1 frame that
  comes back under the id it had), merged ids (a track id published for two walkers), published
  false positives, and the time per `update`.
* vtest.avi (Debian opencv-doc): detections of the shipped person detector
  (`OnnxSsdPersonDetector`, min_confidence 0.3, as `vigil bench vision`), sampled at 1 fps and
  5 fps; id switches as `vigil bench vision` counts them (`_count_switches`: a reference identity
  whose sampled track id changes), against each tracker's own 10 fps tracking and against
  either tracker's 10 fps tracking (one reference for both), per minute of video.

The old tracker needs `trackers` (2.6.1) and `supervision`, which Vigil no longer installs; with
them missing the script says so and reports the new tracker alone. For example:

    pip install --no-deps --target /tmp/trk-old-pkgs trackers==2.6.1 supervision==0.31.2 \\
        pydeprecate tqdm defusedxml
    PYTHONPATH=/tmp/trk-old-pkgs .venv/bin/python -m bench.tracker_compare [--quick]

(numpy, scipy and opencv come from Vigil's environment). vtest detections are cached in
/tmp/vigil-vtest-detections.npz; delete it to detect again.

Prints a table, then one JSON line with the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bench.vision import _count_switches
from vigil.model.detections import Detections
from vigil.vision.tracker import ObjectTracker, TrackerSettings

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PILLAR_HALF_WIDTH = 0.03


class Tracker(Protocol):
    def update(self, detections: Detections, timestamp: datetime) -> Detections: ...


Factory = Callable[[], Tracker]


def legacy_factory() -> Factory | None:
    """The old tracker, when `trackers` and `supervision` can be imported."""
    try:
        from bench.legacy_tracker import ObjectTracker as LegacyTracker
    except ImportError as err:
        print(f"old tracker unavailable ({err}): measuring the new one only", file=sys.stderr)
        return None
    return lambda: LegacyTracker(TrackerSettings())


# --- synthetic walkers ---------------------------------------------------------------------


@dataclass(slots=True)
class Walker:
    gid: int
    t_in: float
    x: float
    y: float
    vx: float
    vy: float
    width: float
    height: float


@dataclass(slots=True)
class Scene:
    walkers: list[Walker]
    pillars: list[float]  # x centres of full-height obstacles
    duration_s: float
    noise: float = 0.03  # box jitter, fraction of the box size
    miss: float = 0.0  # chance of a missed detection
    dip: float = 0.0  # chance of a confidence dip into the second stage's range
    false_per_s: float = 0.0  # false positives per second (each lives one frame)


@dataclass(slots=True)
class Frame:
    t_s: float
    detections: Detections
    gids: list[int | None]  # ground truth per detection row (None: false positive)
    hidden: set[int] = field(default_factory=set)  # walkers in view but occluded


def crossing_scene(rng: np.random.Generator) -> Scene:
    walkers: list[Walker] = []
    for k in range(6):  # a pair every 15 s
        y = rng.uniform(0.35, 0.75)
        speed = rng.uniform(0.04, 0.07)
        dy = rng.uniform(-0.03, 0.03)
        walkers.append(Walker(2 * k, 15.0 * k, 0.05, y, speed, 0, 0.06, 0.2))
        walkers.append(Walker(2 * k + 1, 15.0 * k, 0.95, y + dy, -speed, 0, 0.06, 0.2))
    return Scene(walkers, [], 100.0, noise=0.03)


def occlusion_scene(rng: np.random.Generator) -> Scene:
    walkers = [
        Walker(
            k,
            6.0 * k,
            0.05 if k % 2 == 0 else 0.95,
            rng.uniform(0.3, 0.8),
            (1 if k % 2 == 0 else -1) * rng.uniform(0.02, 0.05),
            rng.uniform(-0.005, 0.005),
            0.06,
            0.2,
        )
        for k in range(12)
    ]
    return Scene(walkers, [0.5], 100.0, noise=0.03)


def crowd_scene(rng: np.random.Generator) -> Scene:
    walkers: list[Walker] = []
    t = 0.0
    while t < 170:
        t += rng.exponential(3.0)
        left = rng.random() < 0.5
        y = rng.uniform(0.25, 0.85)
        height = 0.12 + 0.2 * y  # nearer the camera (lower in the frame): bigger
        walkers.append(
            Walker(
                len(walkers),
                t,
                0.02 if left else 0.98,
                y,
                (1 if left else -1) * rng.uniform(0.6, 1.3) * height / 3,
                rng.uniform(-0.01, 0.01),
                height * 0.35,
                height,
            )
        )
    return Scene(walkers, [0.3, 0.7], 200.0, noise=0.05, miss=0.05, dip=0.1, false_per_s=0.2)


def render(scene: Scene, fps: float, rng: np.random.Generator, *, irregular: bool) -> list[Frame]:
    """Detections at `fps`; `irregular`: capture times jitter by up to 0.2 / fps and 10% of the
    frames are dropped (as a loaded edge drops analysis frames)."""
    frames: list[Frame] = []
    accel = rng.normal(0, 0.0005, (len(scene.walkers), 2))  # a gentle curve per walker
    for k in range(int(scene.duration_s * fps)):
        t = k / fps
        if irregular:
            if rng.random() < 0.1:
                continue
            t += rng.uniform(-0.2, 0.2) / fps
        rows: list[tuple[float, float, float, float]] = []
        scores: list[float] = []
        gids: list[int | None] = []
        hidden: set[int] = set()
        for w, (ax, ay) in zip(scene.walkers, accel, strict=True):
            age = t - w.t_in
            if age < 0:
                continue
            cx = w.x + w.vx * age + ax * age * age / 2
            cy = w.y + w.vy * age + ay * age * age / 2
            if not (0.0 < cx < 1.0 and 0.1 < cy < 0.95):
                continue
            if any(abs(cx - p) < PILLAR_HALF_WIDTH + w.width / 4 for p in scene.pillars):
                hidden.add(w.gid)
                continue
            if rng.random() < scene.miss:
                continue
            j = rng.normal(0, scene.noise, 4) * [w.width, w.height, w.width, w.height]
            box = (
                cx - w.width / 2 + j[0],
                cy - w.height / 2 + j[1],
                cx + w.width / 2 + j[2],
                cy + w.height / 2 + j[3],
            )
            rows.append(box)
            dip = rng.random() < scene.dip
            scores.append(rng.uniform(0.32, 0.48) if dip else rng.uniform(0.55, 0.95))
            gids.append(w.gid)
        for _ in range(rng.poisson(scene.false_per_s / fps)):
            cx, cy, h = rng.uniform(0.05, 0.95), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.3)
            rows.append((cx - h * 0.2, cy - h / 2, cx + h * 0.2, cy + h / 2))
            scores.append(rng.uniform(0.3, 0.6))
            gids.append(None)
        detections = Detections(
            np.clip(np.array(rows, np.float32).reshape(-1, 4), 0, 1),
            np.array(scores, np.float32),
            ("person",) * len(rows),
        )
        frames.append(Frame(t, detections, gids, hidden))
    return frames


@dataclass(slots=True)
class Score:
    switches: int = 0
    occlusions: int = 0
    occlusions_kept: int = 0
    merged_ids: int = 0
    false_published: int = 0
    published: int = 0
    update_us: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.switches += other.switches
        self.occlusions += other.occlusions
        self.occlusions_kept += other.occlusions_kept
        self.merged_ids += other.merged_ids
        self.false_published += other.false_published
        self.published += other.published
        self.update_us.extend(other.update_us)


def score(tracker: Tracker, frames: list[Frame]) -> Score:
    result = Score()
    last_id: dict[int, int] = {}
    # Walkers currently behind a pillar, with the id they had before it (None: not yet seen).
    behind: dict[int, int | None] = {}
    owners: dict[int, set[int]] = {}
    for frame in frames:
        start = time.thread_time()
        out = tracker.update(frame.detections, T0 + timedelta(seconds=frame.t_s))
        result.update_us.append((time.thread_time() - start) * 1e6)
        for gid in frame.hidden:
            behind.setdefault(gid, last_id.get(gid))
        published = _rows_of(frame.detections, out)
        for row, track_id in published:
            gid = frame.gids[row]
            result.published += 1
            if gid is None:
                result.false_published += 1
                continue
            owners.setdefault(track_id, set()).add(gid)
            if gid in last_id and last_id[gid] != track_id:
                result.switches += 1
            last_id[gid] = track_id
        seen = {frame.gids[row] for row, _ in published}
        for gid in [g for g in behind if g in seen and g not in frame.hidden]:
            before = behind.pop(gid)
            if before is not None:
                result.occlusions += 1
                result.occlusions_kept += last_id[gid] == before
    result.merged_ids = sum(len(g) > 1 for g in owners.values())
    return result


def _rows_of(inputs: Detections, out: Detections) -> list[tuple[int, int]]:
    """(input row, track id) of each published detection: trackers publish the input boxes
    unchanged, in input order."""
    pairs: list[tuple[int, int]] = []
    start = 0
    for box, track_id in zip(out.xyxy, out.track_ids, strict=True):
        for row in range(start, len(inputs)):
            if np.array_equal(inputs.xyxy[row], box):
                assert track_id is not None
                pairs.append((row, track_id))
                start = row + 1
                break
    return pairs


def synthetic(factories: dict[str, Factory], seeds: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    scenes: dict[str, Callable[[np.random.Generator], Scene]] = {
        "crossing": crossing_scene,
        "occlusion": occlusion_scene,
        "crowd": crowd_scene,
    }
    for name, make in scenes.items():
        for fps, irregular in ((1.0, True), (5.0, False)):
            totals = {label: Score() for label in factories}
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                frames = render(make(rng), fps, rng, irregular=irregular)
                for label, factory in factories.items():
                    totals[label].add(score(factory(), frames))
            for label, total in totals.items():
                rows.append(_row(f"{name} {fps:g} fps", label, total))
    return rows


def _row(sequence: str, tracker: str, s: Score) -> dict[str, object]:
    return {
        "sequence": sequence,
        "tracker": tracker,
        "id_switches": s.switches,
        "occlusions_kept": f"{s.occlusions_kept}/{s.occlusions}",
        "merged_ids": s.merged_ids,
        "false_published": s.false_published,
        "update_us_mean": round(statistics.fmean(s.update_us), 1),
        "update_us_p99": round(_p99(s.update_us), 1),
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


# --- vtest.avi -----------------------------------------------------------------------------


def vtest_detections(cache: Path) -> list[Detections]:
    """The shipped person detector on every frame of vtest.avi (cached: it takes a minute)."""
    if cache.exists():
        data = np.load(cache)
        return [
            Detections(data[f"xyxy{i}"], data[f"conf{i}"], ("person",) * len(data[f"conf{i}"]))
            for i in range(int(data["n"]))
        ]
    import cv2

    from vigil.vision.detectors.onnx import OnnxSsdPersonDetector

    detector = OnnxSsdPersonDetector(threads=1, min_confidence=0.3)
    capture = cv2.VideoCapture(str(VTEST))
    found: list[Detections] = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        found.append(detector.detect(np.asarray(frame, np.uint8)))
    capture.release()
    arrays: dict[str, npt.NDArray[np.float32]] = {}
    for i, d in enumerate(found):
        arrays[f"xyxy{i}"], arrays[f"conf{i}"] = d.xyxy, d.confidence
    np.savez(cache, n=np.array(len(found)), **arrays)  # type: ignore[arg-type]
    return found


def vtest(factories: dict[str, Factory], found: list[Detections]) -> list[dict[str, object]]:
    """Id switches per minute at 1 and 5 fps, as `vigil bench vision` counts them: against the
    tracker's own 10 fps tracking (`id_switches_per_min`) and against each tracker's 10 fps
    tracking (`vs_<label>_10fps_per_min`: one reference for both trackers)."""
    minutes = len(found) / 10 / 60
    references = {label: _track_all(factory, found, 1) for label, factory in factories.items()}
    rows: list[dict[str, object]] = []
    for step in (10, 2):
        for label, factory in factories.items():
            tracker = factory()
            last: dict[str, dict[int, int]] = {ref: {} for ref in references}
            switches = dict.fromkeys(references, 0)
            times: list[float] = []
            for index, detections in enumerate(found):
                if index % step:
                    continue
                start = time.thread_time()
                ours = tracker.update(detections, T0 + timedelta(seconds=index / 10))
                times.append((time.thread_time() - start) * 1e6)
                for ref, tracked in references.items():
                    switches[ref] += _count_switches(tracked[index], ours, last[ref])
            row: dict[str, object] = {
                "sequence": f"vtest {10 / step:g} fps",
                "tracker": label,
                "id_switches_per_min": round(switches[label] / minutes, 2),
            }
            for ref in references:
                row[f"vs_{ref}_10fps_per_min"] = round(switches[ref] / minutes, 2)
            row["update_us_mean"] = round(statistics.fmean(times), 1)
            row["update_us_p99"] = round(_p99(times), 1)
            rows.append(row)
    return rows


def _track_all(factory: Factory, found: list[Detections], step: int) -> dict[int, Detections]:
    tracker = factory()
    return {
        i: tracker.update(d, T0 + timedelta(seconds=i / 10))
        for i, d in enumerate(found)
        if i % step == 0
    }


def _print(rows: list[dict[str, object]]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    widths = {k: max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in rows:
        print("  ".join(str(row.get(k, "")).ljust(widths[k]) for k in keys))


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    factories: dict[str, Factory] = {}
    old = legacy_factory()
    if old is not None:
        factories["old"] = old
    factories["new"] = lambda: ObjectTracker(TrackerSettings())
    rows = synthetic(factories, seeds=2 if quick else 10)
    print("synthetic walkers (ground truth), product default TrackerSettings:")
    _print(rows)
    vtest_rows: list[dict[str, object]] = []
    if VTEST.exists():
        vtest_rows = vtest(factories, vtest_detections(Path("/tmp/vigil-vtest-detections.npz")))
        print(f"\n{VTEST.name}, shipped person detector:")
        _print(vtest_rows)
    else:
        print(f"\n{VTEST} is missing (Debian opencv-doc): vtest rows skipped", file=sys.stderr)
    print(json.dumps({"bench": "tracker_compare", "rows": rows + vtest_rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
