"""Analytics workers as separate processes on a real Kafka-protocol broker (tansu) and the
embedded PostgreSQL: two `vigil worker --role analytics` share the camera partitions; one is
killed with SIGKILL in the middle of open incidents and the other takes its cameras over
without losing or doubling an alert.

Detections are published as an edge would (`ai.detections`, keyed by camera). Each camera
sees the same pattern, one frame a second of message time: a person in the zone for 5
frames, then 5 empty frames (the incident ends after 3 s). So every 10-frame cycle is
exactly one incident whose key is fixed by the frame it started on: a worker that took a
camera over mid-incident and started its state afresh would record the same intrusion again
under a later key.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import select

from tests.support.engines import free_port
from vigil.analytics.rules import stamp
from vigil.bus import topics
from vigil.bus.kafka import KafkaBus
from vigil.bus.messages import AlertRequest, Frame, FrameDetections
from vigil.clock import SystemClock
from vigil.config import load_config
from vigil.db.models import Alert
from vigil.db.session import Database
from vigil.edge.index import sync_cameras
from vigil.runtime import RuntimeOptions, Vigil
from vigil.vision.detections import Detection, Detections

pytestmark = pytest.mark.slow

CAMERAS = [f"cam-{i}" for i in range(1, 9)]
CYCLE = 10  # frames: 5 with a person in the zone, 5 without
WAIT_S = 60.0  # liveness bound only


def site_yaml(site_id: str) -> dict[str, Any]:
    lower_half = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]
    return {
        "site": {"id": site_id, "name": "Workers", "timezone": "UTC"},
        "dvr": {"host": "127.0.0.1", "username": "u", "password": "p", "channels": 8},
        "cameras": [
            {
                "id": cam,
                "name": cam,
                "channel": n,
                "zones": [{"id": "floor", "name": "Floor", "polygon": lower_half}],
            }
            for n, cam in enumerate(CAMERAS, start=1)
        ],
        "rules": [
            {
                "id": "intrusion",
                "name": "Intrusion",
                "type": "zone_intrusion",
                "min_frames": 2,
                "clear_after_s": 3,
            }
        ],
    }


class Publisher:
    """An edge's detection stream: frame `n` of every camera at `start + n` seconds."""

    def __init__(self, bus: KafkaBus, start: datetime) -> None:
        self.bus = bus
        self.start = start
        self.sent = 0  # frames sent per camera

    def frames(self, n: int, *, empty: bool = False) -> None:
        for _ in range(n):
            t = self.sent
            person = not empty and t % CYCLE < 5
            dets = [Detection("person", 0.9, (0.45, 0.6, 0.55, 0.9), None)] if person else []
            for cam in CAMERAS:
                fd = FrameDetections(
                    cam, self.start + timedelta(seconds=t), t, Detections.from_list(dets), "test"
                )
                self.bus.publish(topics.DETECTIONS, cam, fd)
            self.sent += 1
        assert self.bus.flush(30) == 0, "detections not acknowledged by the broker"

    def expected_keys(self, first: int) -> set[str]:
        """One incident per camera and cycle whose first two frames (min_frames) were sent."""
        keys = set()
        for cycle_start in range(first, self.sent - 1, CYCLE):
            at = stamp(self.start + timedelta(seconds=cycle_start))
            keys.update(f"intrusion/{cam}/floor/{at}" for cam in CAMERAS)
        return keys


class WorkerProcess:
    def __init__(
        self, name: str, config: Path, data: Path, env: dict[str, str], role: str = "analytics"
    ) -> None:
        self.port = free_port()
        self.log = data.parent / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vigil.cli", "worker", "--role", role,
                 "--config", str(config), "--data-dir", str(data), "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip

    def ready(self) -> dict[str, Any] | None:
        url = f"http://127.0.0.1:{self.port}/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return dict(json.load(response))
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def frames(self) -> int:
        """Frames this worker has evaluated (from its health report)."""
        report = self.ready()
        if report is None:
            return 0
        detail = report["components"]["analytics"]["detail"]
        return int(detail.split()[0])

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def site(tmp_path: Path, db: Database) -> tuple[Path, str]:
    site_id = f"w{uuid.uuid4().hex[:8]}"  # its own consumer groups on the shared broker
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(site_yaml(site_id)))
    sync_cameras(db, load_config(path), SystemClock())  # as the hub does at its start
    return path, site_id


@pytest.fixture
def cluster_env(db: Database, kafka_bootstrap: str) -> dict[str, str]:
    return {
        **os.environ,
        "VIGIL_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "VIGIL_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }


@pytest.fixture
def workers(
    tmp_path: Path, cluster_env: dict[str, str], site: tuple[Path, str]
) -> Iterator[list[WorkerProcess]]:
    procs = [WorkerProcess(f"w{i}", site[0], tmp_path / f"w{i}", cluster_env) for i in (1, 2)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()


@pytest.fixture
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    bus = KafkaBus(kafka_bootstrap, client_id="test-edge")
    await bus.start()
    try:
        yield Publisher(bus, datetime.now(UTC).replace(microsecond=0))
    finally:
        await bus.stop()


def alert_keys(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Alert.incident_key).where(Alert.camera_id.in_(CAMERAS))))


async def until(what: str, check: Any, procs: list[WorkerProcess]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.log.name}\n{p.tail()}" for p in procs)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.5)


async def test_two_analytics_workers_share_cameras_and_survive_a_kill(
    db: Database, workers: list[WorkerProcess], publisher: Publisher
) -> None:
    await until("both workers ready", lambda: all(w.ready() for w in workers), workers)

    # Empty frames until both workers have cameras of their own (both joined the group).
    async def both_working() -> bool:
        publisher.frames(1, empty=True)
        return all(w.frames() > 0 for w in workers)

    deadline = time.monotonic() + WAIT_S
    while not await both_working():
        assert time.monotonic() < deadline, "the two workers never both got cameras"
        await asyncio.sleep(0.5)
    while publisher.sent % CYCLE:  # the incidents start on a cycle boundary
        publisher.frames(1, empty=True)
    first = publisher.sent

    # Three whole cycles, then the start of a fourth: its incidents are open when we kill.
    publisher.frames(3 * CYCLE + 3)
    expected = publisher.expected_keys(first)
    assert len(expected) == 4 * len(CAMERAS)
    await until("the first alerts", lambda: set(alert_keys(db)) == expected, workers)
    keys = alert_keys(db)
    assert len(keys) == len(set(keys))

    victim = max(workers, key=lambda w: w.frames())
    survivor = next(w for w in workers if w is not victim)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(10)

    # Detections keep flowing: the rest of the open incidents and two more cycles.
    for _ in range(2 * CYCLE + 7):
        publisher.frames(1)
        await asyncio.sleep(0.3)
    expected = publisher.expected_keys(first)
    assert len(expected) == 6 * len(CAMERAS)

    await until("the survivor's alerts", lambda: set(alert_keys(db)) >= expected, [survivor])
    # Each camera's frames are processed in order: a doubled incident of the takeover would
    # have been recorded before the last cycle's.
    keys = alert_keys(db)
    doubled, lost = sorted(set(keys) - expected), sorted(expected - set(keys))
    assert (doubled, lost) == ([], []), "an intrusion was alerted twice or not at all"
    assert len(keys) == len(expected)
    assert survivor.ready() is not None, survivor.tail()


async def test_inference_worker_turns_frames_into_detections_and_notify_worker_runs(
    tmp_path: Path, cluster_env: dict[str, str], site: tuple[Path, str], publisher: Publisher
) -> None:
    procs = [
        WorkerProcess(role, site[0], tmp_path / role, cluster_env, role=role)
        for role in ("inference", "notify")
    ]
    try:
        await until("inference and notify ready", lambda: all(p.ready() for p in procs), procs)
        camera = f"inf-{uuid.uuid4().hex[:8]}"
        detections = publisher.bus.subscribe(topics.DETECTIONS, f"test-{camera}")
        image = np.random.default_rng(1).integers(0, 255, (240, 320, 3), dtype=np.uint8)
        for seq in range(3):  # as an edge publishes its analysis frames: JPEG over Kafka
            frame = Frame(camera, publisher.start + timedelta(seconds=seq), seq, image)
            publisher.bus.publish(topics.FRAMES, camera, frame)
        assert publisher.bus.flush(30) == 0
        seen: list[int] = []
        deadline = time.monotonic() + WAIT_S
        while len(seen) < 3:
            assert time.monotonic() < deadline, procs[0].tail()
            message = await detections.get(5)
            if message is not None and message.key == camera:
                assert isinstance(message.value, FrameDetections)
                seen.append(message.value.seq)
        assert sorted(seen) == [0, 1, 2]
        report = procs[1].ready()
        assert report is not None and "notifications" in report["components"], report
    finally:
        for proc in procs:
            proc.stop()


async def test_hub_on_kafka_records_what_other_processes_publish(
    tmp_path: Path,
    db: Database,
    cluster_env: dict[str, str],
    site: tuple[Path, str],
    publisher: Publisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIGIL_KAFKA_BOOTSTRAP", cluster_env["VIGIL_KAFKA_BOOTSTRAP"])
    hub = Vigil(
        load_config(site[0]),
        RuntimeOptions(
            data_dir=tmp_path / "hub",
            port=0,
            database_url=cluster_env["VIGIL_DATABASE_URL"],
            role="hub",
            start_cameras=False,
        ),
    )
    assert isinstance(hub.bus, KafkaBus)
    await hub.start()
    try:
        key = f"edge-test/{uuid.uuid4().hex}"
        request = AlertRequest(
            key, "cam-1", "camera_offline", "high", "cam-1 offline", publisher.start
        )
        publisher.bus.publish(topics.ALERT_REQUESTS, "cam-1", request)
        assert publisher.bus.flush(30) == 0
        await until("the hub's alert", lambda: key in alert_keys(db), [])
    finally:
        await hub.stop()
