"""Camera health alerts on real pictures (Debian opencv-doc samples): blackout, defocus and a
moved camera each raise one alert after a few frames and clear on recovery; a camera down
for more than 2 minutes raises `camera_offline`, cleared when it is back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import FakeClock
from vigil.edge.camera_health import CameraHealthMonitor, FrameHealth, HealthSettings
from vigil.model.messages import AlertCleared, AlertRequest, CameraState, CameraStatus, Frame

DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def picture(name: str) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(DATA / name))
    assert image is not None, f"{DATA / name}: install Debian opencv-doc"
    return cv2.resize(image, (960, 1080))


async def alerts(sub: Subscription) -> list[AlertRequest | AlertCleared]:
    out = []
    while (m := await sub.get(timeout_s=0.01)) is not None:
        out.append(m.value)
        sub.commit(m)
    return out


def feed(
    monitor: CameraHealthMonitor, clock: FakeClock, image: npt.NDArray[np.uint8], n: int
) -> None:
    for _ in range(n):
        clock.advance(1.0)
        monitor.on_frame(Frame("cam", clock.now(), 0, image))


@pytest.fixture
async def setup(fake_clock: FakeClock) -> tuple[CameraHealthMonitor, Subscription, FakeClock]:
    bus = MemoryBus(fake_clock)
    sub = bus.subscribe(topics.ALERT_REQUESTS, "test")
    return CameraHealthMonitor(bus, fake_clock, HealthSettings(baseline_frames=5)), sub, fake_clock


@pytest.mark.parametrize(
    ("fault", "alert_type"),
    [
        (lambda img: np.zeros_like(img), "camera_tamper"),  # blacked out
        (lambda img: np.full_like(img, 200), "camera_tamper"),  # sprayed / covered
        (lambda img: cv2.GaussianBlur(img, (0, 0), 12), "camera_defocus"),
    ],
    ids=["black", "covered", "defocus"],
)
async def test_a_fault_raises_one_alert_with_a_snapshot_and_clears(
    fault: object, alert_type: str, setup: tuple[CameraHealthMonitor, Subscription, FakeClock]
) -> None:
    monitor, sub, clock = setup
    scene = picture("messi5.jpg")
    feed(monitor, clock, scene, 10)  # learns the baseline
    assert await alerts(sub) == []
    bad = fault(scene)  # type: ignore[operator]
    feed(monitor, clock, bad, 3)  # a few odd frames are not enough
    assert await alerts(sub) == []
    feed(monitor, clock, bad, 10)
    [raised] = await alerts(sub)
    assert isinstance(raised, AlertRequest) and raised.type == alert_type
    assert raised.image is not None and raised.camera_id == "cam"
    feed(monitor, clock, scene, 3)
    [cleared] = await alerts(sub)
    assert isinstance(cleared, AlertCleared) and cleared.key == raised.key and cleared.resolve


async def test_a_moved_camera_raises_camera_moved_once_and_learns_the_new_view(
    setup: tuple[CameraHealthMonitor, Subscription, FakeClock],
) -> None:
    monitor, sub, clock = setup
    feed(monitor, clock, picture("messi5.jpg"), 10)
    feed(monitor, clock, picture("building.jpg"), 15)
    raised = await alerts(sub)
    assert [a.type for a in raised if isinstance(a, AlertRequest)] == ["camera_moved"]
    feed(monitor, clock, picture("building.jpg"), 10)  # the new view is now normal
    assert await alerts(sub) == []


async def test_offline_for_more_than_two_minutes(
    setup: tuple[CameraHealthMonitor, Subscription, FakeClock],
) -> None:
    monitor, sub, clock = setup
    monitor.on_status(
        CameraStatus("cam", CameraState.RECONNECTING, "connection refused", clock.now())
    )
    clock.advance(100)
    monitor.check_offline()
    assert await alerts(sub) == []
    clock.advance(30)
    monitor.check_offline()
    monitor.check_offline()
    [raised] = await alerts(sub)
    assert isinstance(raised, AlertRequest) and raised.type == "camera_offline"
    assert raised.data["detail"] == "connection refused"
    monitor.on_status(
        CameraStatus("cam", CameraState.ONLINE, None, clock.now() + timedelta(seconds=1))
    )
    [cleared] = await alerts(sub)
    assert isinstance(cleared, AlertCleared) and cleared.key == raised.key


def vtest_at_1fps() -> list[npt.NDArray[np.uint8]]:
    """vtest.avi (the simulator's footage: real pedestrians), one frame a second."""
    capture = cv2.VideoCapture(str(DATA / "vtest.avi"))
    frames = []
    index = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if index % 10 == 0:  # 10 fps footage, 1 fps analysis
            frames.append(image)
        index += 1
    assert len(frames) >= 70, "install Debian opencv-doc"
    return frames


def test_real_footage_with_people_walking_raises_nothing(fake_clock: FakeClock) -> None:
    """vtest.avi at 1 fps: busy, but healthy; not frozen even with a 5 s freeze time."""
    health = FrameHealth(HealthSettings(frozen_after_s=5))
    verdicts = []
    for image in vtest_at_1fps():
        fake_clock.advance(1.0)
        verdicts.append(health.feed(image, fake_clock.now()))
    assert not any(v.tamper or v.defocus or v.moved or v.frozen for v in verdicts)


def test_a_static_night_scene_with_sensor_noise_is_not_frozen(fake_clock: FakeClock) -> None:
    """A dark yard where nothing moves (a real frame at 25% light) still has sensor noise
    (1.5 grey levels, far below what a person walking makes): alive, not frozen."""
    scene = cv2.resize(vtest_at_1fps()[0], (960, 1080)).astype(np.float32) * 0.25
    rng = np.random.default_rng(3)
    health = FrameHealth(HealthSettings(frozen_after_s=5))
    for _ in range(30):
        fake_clock.advance(1.0)
        noise = rng.normal(0.0, 1.5, scene.shape[:2])[..., None]
        image = np.clip(scene + noise, 0, 255).astype(np.uint8)
        assert not health.feed(image, fake_clock.now()).frozen


async def test_a_frozen_picture_raises_camera_frozen_after_60_s_and_clears_when_it_moves(
    fake_clock: FakeClock,
) -> None:
    bus = MemoryBus(fake_clock)
    sub = bus.subscribe(topics.ALERT_REQUESTS, "test")
    monitor = CameraHealthMonitor(bus, fake_clock)  # the default: 60 s
    live = vtest_at_1fps()
    for image in live[:20]:
        feed(monitor, fake_clock, image, 1)
    assert await alerts(sub) == []
    still = live[20]
    feed(monitor, fake_clock, still, 60)  # 59 s since the first of these frames: not yet
    assert await alerts(sub) == []
    feed(monitor, fake_clock, still, 1)
    [raised] = await alerts(sub)
    assert isinstance(raised, AlertRequest) and raised.type == "camera_frozen"
    assert raised.camera_id == "cam" and raised.image is not None
    feed(monitor, fake_clock, still, 30)  # one alert, however long it lasts
    assert await alerts(sub) == []
    feed(monitor, fake_clock, live[21], 1)
    [cleared] = await alerts(sub)
    assert isinstance(cleared, AlertCleared) and cleared.key == raised.key and cleared.resolve


def test_a_frozen_picture_under_a_live_clock_overlay_counts_with_a_motion_mask(
    fake_clock: FakeClock,
) -> None:
    """A DVR may burn its live clock into a picture that no longer changes: the overlay's
    block keeps changing, so only the camera's motion mask over it lets the freeze show."""
    still = cv2.resize(vtest_at_1fps()[20], (960, 1080))
    overlay = [(0.0, 0.0), (0.6, 0.0), (0.6, 0.08), (0.0, 0.08)]  # normalised, top left
    plain = FrameHealth()
    masked = FrameHealth(masks=[overlay])
    seen_plain, seen_masked = [], []
    for _ in range(70):
        fake_clock.advance(1.0)
        image = still.copy()
        text = fake_clock.now().strftime("%d-%m-%Y %H:%M:%S")
        cv2.putText(image, text, (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 3)
        seen_plain.append(plain.feed(image, fake_clock.now()).frozen)
        seen_masked.append(masked.feed(image, fake_clock.now()).frozen)
    assert not any(seen_plain)
    assert seen_masked.index(True) == 60  # 60 s after the first of the equal pictures


async def test_a_blacked_out_picture_is_tamper_not_frozen(
    setup: tuple[CameraHealthMonitor, Subscription, FakeClock],
) -> None:
    monitor, sub, clock = setup
    feed(monitor, clock, picture("messi5.jpg"), 10)
    feed(monitor, clock, np.zeros((1080, 960, 3), np.uint8), 90)
    assert [a.type for a in await alerts(sub) if isinstance(a, AlertRequest)] == ["camera_tamper"]
