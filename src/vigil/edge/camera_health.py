"""Camera health from the frames themselves and the connection state, as alerts.

`FrameHealth` judges one camera's 1 fps frames against its own history: tamper/blackout
(the picture is nearly uniform: covered, sprayed, unplugged sensor), defocus (sharpness
collapsed against the camera's own baseline), scene change (the view no longer matches the
learned reference: the camera was moved), frozen picture (the same picture, within coding
noise, for `frozen_after_s` of frame time: a stuck encoder or a replayed still, while the
stream itself stays healthy). Tamper, defocus and moved must hold for `hold_frames` frames
in a row, so one odd frame (a person filling the view) raises nothing.
`CameraHealthMonitor` feeds it from the bus, adds "offline for more than 2 minutes" from
camera status, and publishes `AlertRequest` / `AlertCleared` on the normal alert path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.model.messages import AlertCleared, AlertRequest, CameraState, CameraStatus, Frame
from vigil.ops.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

_THUMB = (64, 64)  # width, height of the analysis thumbnail
_STILL_SCALE = 4  # the frozen-picture check compares grey frames at 1/4 width and height
_STILL_GRID = 16  # ... and each of 16 x 16 blocks of them
Polygon = Sequence[tuple[float, float]]  # normalised [x, y] points


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """Thresholds on a 64x64 grey thumbnail (levels 0-255)."""

    offline_after_s: float = 120.0
    hold_frames: int = 5
    uniform_below_std: float = 6.0  # tamper: almost no contrast left
    defocus_ratio: float = 0.25  # sharpness under this share of the baseline
    baseline_frames: int = 20  # frames that establish the baseline and reference
    moved_above_diff: float = 40.0  # mean |thumbnail - reference| (levels)
    # Frozen: consecutive frames (grey, 1/4 size) differ by less than `frozen_max_diff` on
    # average and by less than `frozen_max_block_diff` in every 1/16 x 1/16 block, for
    # `frozen_after_s` seconds of frame time. Measured on H.264 from the simulator (960x1080,
    # 1.8 Mbps, keyframes 1 s apart): its frozen channel differs by 0.000 (main and sub); its
    # night channel (a dark static yard, noise 3 levels) by 1.07-1.11 (sub 0.58-0.68); static
    # scenes with sensor noise of 0.5-4 levels by 0.50-1.41 on average (blocks 0.64-1.62);
    # vtest.avi's pedestrians by 4.8 or more (blocks 41 or more).
    frozen_after_s: float = 60.0
    frozen_max_diff: float = 0.15
    frozen_max_block_diff: float = 0.4


@dataclass(frozen=True, slots=True)
class Verdict:
    """Conditions that now hold (after `hold_frames`) for one camera."""

    tamper: bool
    defocus: bool
    moved: bool
    frozen: bool = False


@dataclass(slots=True)
class FrameHealth:
    """One camera's frame history; not thread-safe."""

    settings: HealthSettings = field(default_factory=HealthSettings)
    _sharp: list[float] = field(default_factory=list)
    _reference: npt.NDArray[np.float32] | None = None
    _learning: list[npt.NDArray[np.float32]] = field(default_factory=list)
    _streak: dict[str, int] = field(default_factory=lambda: {"tamper": 0, "defocus": 0, "moved": 0})
    _previous: npt.NDArray[np.float32] | None = None  # last frame, grey at 1/4 size
    _previous_at: datetime | None = None
    _still_since: datetime | None = None  # first frame of the current run of equal pictures
    # The camera's motion masks (a DVR's live clock overlay on a frozen picture must not
    # count as the picture moving), and their pixels at the comparison size.
    masks: Sequence[Polygon] = ()
    _masked: npt.NDArray[np.bool_] | None = None

    def feed(self, image_bgr: npt.NDArray[np.uint8], at: datetime | None = None) -> Verdict:
        """Judge one frame; `at` is its capture time (without it, frozen is never judged)."""
        grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        sharp_img = cv2.resize(grey, (grey.shape[1] // 4, grey.shape[0] // 4))
        sharpness = float(cv2.Laplacian(sharp_img, cv2.CV_32F).var())
        s = self.settings
        uniform = float(thumb.std()) < s.uniform_below_std
        defocus = moved = False
        if not uniform:
            baseline = (
                float(np.median(self._sharp)) if len(self._sharp) >= s.baseline_frames else None
            )
            defocus = baseline is not None and sharpness < s.defocus_ratio * baseline
            if not defocus:
                self._sharp = [*self._sharp[-(4 * s.baseline_frames - 1) :], sharpness]
            if self._reference is None:
                self._learning.append(thumb)
                if len(self._learning) >= s.baseline_frames:
                    self._reference = np.median(np.stack(self._learning), axis=0)
                    self._learning.clear()
            else:
                moved = float(np.abs(thumb - self._reference).mean()) > s.moved_above_diff
                if not moved:  # follow slow change (daylight) on healthy frames
                    self._reference = 0.95 * self._reference + 0.05 * thumb
        verdict = Verdict(
            tamper=self._hold("tamper", uniform),
            defocus=self._hold("defocus", defocus),
            moved=self._hold("moved", moved),
            frozen=self._frozen(grey, at, uniform),
        )
        if verdict.moved:  # the new view becomes the reference
            self._reference = thumb
        return verdict

    def _frozen(self, grey: npt.NDArray[Any], at: datetime | None, uniform: bool) -> bool:
        """Whether the picture has not changed beyond coding/sensor noise for
        `frozen_after_s` up to `at`. A uniform picture is tamper's business, not this."""
        s = self.settings
        h, w = grey.shape[:2]
        small = cv2.resize(
            grey,
            (max(w // _STILL_SCALE, _STILL_GRID), max(h // _STILL_SCALE, _STILL_GRID)),
            interpolation=cv2.INTER_AREA,
        ).astype(np.float32)
        previous, previous_at = self._previous, self._previous_at
        self._previous, self._previous_at = small, at
        if at is None or previous is None or previous_at is None or uniform:
            self._still_since = None
            return False
        if previous.shape != small.shape or at <= previous_at:  # new resolution, or out of order
            self._still_since = None
            return False
        diff = np.abs(small - previous)
        masked = self._masked_pixels(diff.shape[1], diff.shape[0])
        if masked is not None:
            diff[masked] = 0.0
        open_share = 1.0 if masked is None else max(1.0 - float(masked.mean()), 1e-6)
        blocks = cv2.resize(diff, (_STILL_GRID, _STILL_GRID), interpolation=cv2.INTER_AREA)
        if float(diff.mean()) / open_share >= s.frozen_max_diff or float(blocks.max()) >= (
            s.frozen_max_block_diff
        ):
            self._still_since = None
            return False
        if self._still_since is None:
            self._still_since = previous_at
        return (at - self._still_since).total_seconds() >= s.frozen_after_s

    def _masked_pixels(self, width: int, height: int) -> npt.NDArray[np.bool_] | None:
        if not self.masks:
            return None
        if self._masked is None or self._masked.shape != (height, width):
            raster = np.zeros((height, width), np.uint8)
            for polygon in self.masks:
                points = np.array([[x * width, y * height] for x, y in polygon], np.int32)
                cv2.fillPoly(raster, [points], 1)
            self._masked = raster.astype(bool)
        return self._masked

    def _hold(self, name: str, now: bool) -> bool:
        self._streak[name] = self._streak[name] + 1 if now else 0
        return self._streak[name] >= self.settings.hold_frames


_ALERTS = {
    "offline": ("camera_offline", "high", "Camera offline for more than 2 minutes"),
    "tamper": ("camera_tamper", "critical", "Camera view blacked out or covered"),
    "defocus": ("camera_defocus", "medium", "Camera out of focus"),
    "moved": ("camera_moved", "high", "Camera view changed (moved?)"),
    "frozen": ("camera_frozen", "high", "Camera picture frozen (the same picture, no change)"),
}


class CameraHealthMonitor:
    """Raises and clears camera health alerts from frames and camera status."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        settings: HealthSettings | None = None,
        tick_s: float = 5.0,
        masks: Mapping[str, Sequence[Polygon]] | None = None,
    ) -> None:
        """`masks`: each camera's motion masks (normalised polygons), ignored by the frozen
        check (a clock overlay keeps changing on a frozen picture)."""
        self._bus = bus
        self._clock = clock
        self.settings = settings or HealthSettings()
        self._masks = dict(masks or {})
        self._tick_s = tick_s
        self._frames: dict[str, FrameHealth] = {}
        self._down_since: dict[str, tuple[datetime, str | None]] = {}
        self._open: dict[tuple[str, str], str] = {}  # (camera, condition) -> alert key
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        frames = self._bus.subscribe(topics.FRAMES, "camera-health", max_pending=8)
        status = self._bus.subscribe(topics.CAMERA_STATUS, "camera-health")
        self._tasks = [
            asyncio.create_task(self._consume_frames(frames), name="camera-health-frames"),
            asyncio.create_task(self._consume_status(status), name="camera-health-status"),
            asyncio.create_task(self._tick(), name="camera-health-offline"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []

    def on_status(self, status: CameraStatus) -> None:
        # Disabled or deleted (stopped on purpose): not "down", and an open offline alert ends.
        if status.state in (CameraState.ONLINE, CameraState.DISABLED):
            self._down_since.pop(status.camera_id, None)
            self._set(status.camera_id, "offline", False, None)
        elif status.camera_id not in self._down_since:
            self._down_since[status.camera_id] = (status.changed_at, status.detail)

    def check_offline(self) -> None:
        now = self._clock.now()
        limit = timedelta(seconds=self.settings.offline_after_s)
        for camera_id, (since, detail) in list(self._down_since.items()):
            if now - since > limit:
                self._set(
                    camera_id, "offline", True, None, {"since": since.isoformat(), "detail": detail}
                )

    def on_frame(self, frame: Frame) -> Verdict:
        """Judge `frame` and raise or clear alerts (on the bus's thread)."""
        verdict = self.judge(frame)
        self.apply(frame, verdict)
        return verdict

    def judge(self, frame: Frame) -> Verdict:
        """The image work; safe in a worker thread (one camera's frames in order)."""
        health = self._frames.get(frame.camera_id)
        if health is None:
            masks = self._masks.get(frame.camera_id, ())
            health = self._frames[frame.camera_id] = FrameHealth(self.settings, masks=masks)
        return health.feed(frame.image, frame.timestamp)

    def apply(self, frame: Frame, verdict: Verdict) -> None:
        for name in ("tamper", "defocus", "moved", "frozen"):
            self._set(frame.camera_id, name, getattr(verdict, name), frame)

    def _set(
        self,
        camera_id: str,
        condition: str,
        active: bool,
        frame: Frame | None,
        data: dict[str, object] | None = None,
    ) -> None:
        key = self._open.get((camera_id, condition))
        now = self._clock.now()
        if active and key is None:
            alert_type, severity, title = _ALERTS[condition]
            at = frame.timestamp if frame is not None else now
            key = f"{alert_type}:{camera_id}:{at:%Y%m%dT%H%M%S}"
            self._open[(camera_id, condition)] = key
            logger.warning("camera %s: %s", camera_id, title)
            self._bus.publish(
                topics.ALERT_REQUESTS,
                camera_id,
                AlertRequest(
                    key=key,
                    camera_id=camera_id,
                    type=alert_type,
                    severity=severity,
                    title=title,
                    occurred_at=at,
                    image=frame.image if frame is not None else None,
                    data=dict(data or {}),
                ),
            )
        elif not active and key is not None and condition != "moved":
            del self._open[(camera_id, condition)]
            self._bus.publish(
                topics.ALERT_REQUESTS, camera_id, AlertCleared(key, camera_id, now, resolve=True)
            )
        elif condition == "moved" and active is False and key is not None:
            # "moved" is an event, not a state: it stays for an operator to look at
            del self._open[(camera_id, condition)]

    async def _consume_frames(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, Frame):
                try:
                    verdict = await asyncio.to_thread(self.judge, message.value)
                    self.apply(message.value, verdict)
                except Exception:
                    logger.exception("camera health check failed on a frame")
            sub.commit(message)

    async def _consume_status(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, CameraStatus):
                self.on_status(message.value)
            sub.commit(message)

    async def _tick(self) -> None:
        while True:
            self.check_offline()
            await self._clock.sleep(self._tick_s)
