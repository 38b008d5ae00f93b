"""Workers as separate processes on a real Kafka-protocol broker (tansu) and the embedded
PostgreSQL: an inference worker turns frames into detections, a notify worker runs, and a hub
on Kafka records the alert requests other processes publish.

Two analytics workers sharing the cameras, one killed with SIGKILL in the middle of open
incidents and the other taking its cameras over without losing or doubling an alert, are
checked inside a whole cluster: tests/integration/cluster/test_cluster.py.
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
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import select

from tests.support.engines import free_port
from vigil.app.runtime import RuntimeOptions, Vigil
from vigil.bus import topics
from vigil.bus.kafka import KafkaBus
from vigil.clock import SystemClock
from vigil.config import load_config
from vigil.db.session import Database
from vigil.db.tables import Alert
from vigil.edge.index import sync_cameras
from vigil.model.messages import AlertRequest, Frame, FrameDetections

pytestmark = pytest.mark.slow

CAMERAS = [f"cam-{i}" for i in range(1, 9)]
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
    """A process publishing on the bus as an edge would, from `start`."""

    def __init__(self, bus: KafkaBus, start: datetime) -> None:
        self.bus = bus
        self.start = start


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
