"""Hub throughput on Kafka: `vigil hub` + N `vigil worker --role analytics` processes, fed by
a load generator playing 64 cameras at 1 fps across 8 sites, as edges' detections arrive on
`ai.detections` (keyed by camera, 16 partitions, one consumer group over the hub and workers).

Each camera's scene: one person walking outside its zone all the time, and every minute a
person who stays 10 s in the zone (one zone-intrusion incident: an event and an alert per
camera per minute, ~1 alert/s over 64 cameras). Phases, per N:
* steady: real-time load (64 detection messages/s) for `steady_s`; the consumer lag (messages
  published and not yet evaluated by any process) is sampled every second;
* flood: `flood_s` seconds of site time for all cameras published at once (a backlog after an
  outage); the rate at which the hub and workers work through it is the capacity.
Frames evaluated are read from each process's Prometheus counter `rule_evaluation_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml
from sqlalchemy import make_url, text

from bench import progress
from bench.scale_engines import (
    BenchEngineError,
    Children,
    counter_sum,
    start_tansu,
    vigil_command,
    wait_started,
)
from vigil.app.demo import free_port
from vigil.auth.api_keys import ApiKeyService
from vigil.bus import topics
from vigil.bus.kafka import KafkaBus
from vigil.clock import SystemClock
from vigil.db.admin import ensure_database
from vigil.db.migrate import upgrade
from vigil.db.session import Database
from vigil.edge.uplink import ssl_context
from vigil.model.detections import Detections
from vigil.model.messages import FrameDetections
from vigil.ops.tls import self_signed

SITES = 8
CAMERAS_PER_SITE = 8
CYCLE_S = 60  # one incident per camera per cycle
IN_ZONE_S = 10
EVALUATED = "rule_evaluation_seconds_count"
EDGE_RATE_LIMIT = 1_000_000  # requests/min per API key at the bench's hub; see the README
METRICS_TOKEN = "bench-metrics-token"  # the hub's /metrics (security.metrics_token)


def camera_ids() -> list[str]:
    return [f"site{s}-cam{c}" for s in range(SITES) for c in range(CAMERAS_PER_SITE)]


def write_hub_config(path: Path) -> Path:
    """The hub's site.yaml: the 64 cameras of its 8 edges, one zone each, one rule."""
    zone = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]
    config = {
        "site": {"id": "hub", "name": "Bench hub"},
        "dvr": {"host": "127.0.0.1", "username": "u", "password": "p", "channels": 64},
        "cameras": [
            {
                "id": cam,
                "name": cam,
                "channel": i + 1,
                "zones": [{"id": "yard", "name": "Yard", "polygon": zone}],
            }
            for i, cam in enumerate(camera_ids())
        ],
        "rules": [{"id": "intrusion", "name": "Person in the yard", "clear_after_s": 20}],
        "security": {
            "require_admin_mfa": False,
            "api_key_requests_per_minute": EDGE_RATE_LIMIT,
            "metrics_token": METRICS_TOKEN,  # the hub's /metrics is never anonymous
        },
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def scene(camera: int, cam_id: str, second: int, when: datetime) -> FrameDetections:
    """Camera `camera`'s detections at site second `second` (see the module docstring)."""
    walk = (second % 40) / 40.0
    boxes = [(0.1 + 0.7 * walk, 0.05, 0.18 + 0.7 * walk, 0.35)]
    tracks: list[int | None] = [1]
    phase = (second + 7 * camera) % CYCLE_S
    if phase < IN_ZONE_S:
        boxes.append((0.4, 0.55, 0.5, 0.95))
        tracks.append(2 + (second + 7 * camera) // CYCLE_S)
    n = len(boxes)
    detections = Detections(
        np.asarray(boxes, np.float32),
        np.full(n, 0.8, np.float32),
        ("person",) * n,
        tuple(tracks),
    )
    return FrameDetections(cam_id, when, second, detections, "bench")


@dataclass
class HubSide:
    """The running hub (and its workers) of one measurement."""

    url: str  # https://127.0.0.1:PORT
    cert: Path
    database_url: str
    edge_key: str
    metrics_urls: list[str]
    bootstrap: str

    def evaluated_each(self) -> list[int]:
        """Detection messages each process (hub first, then the workers) has evaluated."""
        out = []
        tls = ssl_context(self.cert)
        for url in self.metrics_urls:
            hub = url.startswith("https")  # a worker's /metrics is on its own port (loopback)
            headers = {"Authorization": f"Bearer {METRICS_TOKEN}"} if hub else {}
            text = httpx.get(url, timeout=10, verify=tls if hub else True, headers=headers).text
            out.append(int(counter_sum(text, EVALUATED)))
        return out

    def evaluated(self) -> int:
        return sum(self.evaluated_each())

    def count(self, table: str, where: str = "true") -> int:
        """Rows of `table` at the hub matching the SQL condition `where` (bench-made only)."""
        db = Database(self.database_url)
        try:
            with db.engine.connect() as conn:
                query = text(f"SELECT count(*) FROM {table} WHERE {where}")
                return int(conn.execute(query).scalar_one())
        finally:
            db.dispose()


def start_hub(children: Children, server_url: str, workers: int, work: Path, name: str) -> HubSide:
    """A fresh database `name` on the server, a broker, `vigil hub` and `workers` workers."""
    work.mkdir(parents=True, exist_ok=True)
    ensure_database(server_url, name)
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    db = Database(url)
    try:
        _, key = asyncio.run(
            ApiKeyService(db, SystemClock()).create("edge site0", "operator", "bench")
        )
    finally:
        db.dispose()
    config = write_hub_config(work / "hub.yaml")
    cert, cert_key = self_signed(work / "tls")
    bootstrap = start_tansu(children)
    env = {"VIGIL_DATABASE_URL": url, "VIGIL_KAFKA_BOOTSTRAP": bootstrap}
    port = free_port(0)
    hub = children.spawn(
        f"{name}-hub",
        [*vigil_command(), "hub", "--config", str(config), "--data-dir", str(work / "hub"),
         "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(cert_key),
         "--log-level", "WARNING"],
        env,
    )  # fmt: skip
    base = f"https://127.0.0.1:{port}"
    metrics = [f"{base}/metrics"]
    wait_started(hub, base, verify=ssl_context(cert))
    for i in range(workers):
        wport = free_port(0)
        worker = children.spawn(
            f"{name}-worker{i}",
            [*vigil_command(), "worker", "--role", "analytics", "--config", str(config),
             "--data-dir", str(work / f"worker{i}"), "--port", str(wport),
             "--log-level", "WARNING"],
            env,
        )  # fmt: skip
        wait_started(worker, f"http://127.0.0.1:{wport}")
        metrics.append(f"http://127.0.0.1:{wport}/metrics")
    return HubSide(base, cert, url, key, metrics, bootstrap)


@dataclass(frozen=True, slots=True)
class Throughput:
    workers: int
    steady_s: float
    steady_published: int
    steady_detections_per_s: float
    steady_alerts_per_s: float
    lag_p50_msgs: int  # sampled each second, just before the next second's messages
    lag_max_msgs: int
    tail_s: float  # after the steady load stopped, until everything was evaluated
    flood_messages: int
    flood_s: float
    capacity_detections_per_s: float
    capacity_alerts_per_s: float
    boxes_per_message: float


class LoadGenerator:
    """Publishes the 64 cameras' scenes to `ai.detections` on the hub's broker."""

    def __init__(self, bootstrap: str) -> None:
        self.bus = KafkaBus(bootstrap, client_id="vigil-bench-load")
        self.cameras = camera_ids()
        self.second = 0
        self.published = 0
        self.boxes = 0
        self.start: datetime = SystemClock().now()

    def publish_second(self) -> None:
        when = self.start + timedelta(seconds=self.second)
        for i, cam in enumerate(self.cameras):
            fd = scene(i, cam, self.second, when)
            self.bus.publish(topics.DETECTIONS, cam, fd)
            self.boxes += len(fd.detections.class_names)
        self.published += len(self.cameras)
        self.second += 1


async def _wait_evaluated(hub: HubSide, target: int, timeout_s: float) -> float:
    """Seconds until the processes have evaluated `target` messages in all."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if await asyncio.to_thread(hub.evaluated) >= target:
            return time.monotonic() - t0
        await asyncio.sleep(0.2)
    raise BenchEngineError(
        f"only {hub.evaluated()} of {target} messages evaluated in {timeout_s} s"
    )


async def measure_throughput(hub: HubSide, workers: int, steady_s: int, flood_s: int) -> Throughput:
    load = LoadGenerator(hub.bootstrap)
    await load.bus.start()
    try:
        # Warm-up: the consumer group settles (joins, rebalances) before anything is timed.
        load.publish_second()
        await _wait_evaluated(hub, load.published, 120)
        offset = await asyncio.to_thread(hub.evaluated) - load.published  # normally 0
        alerts0, pub0 = hub.count("alerts"), load.published
        lags: list[int] = []
        t0 = time.monotonic()
        for k in range(steady_s + 1):
            await asyncio.sleep(max(0.0, t0 + k - time.monotonic()))
            if k:  # what is still unevaluated a second after it was published
                lags.append(load.published + offset - await asyncio.to_thread(hub.evaluated))
            if k < steady_s:
                load.publish_second()
        steady_wall = time.monotonic() - t0
        tail_s = await _wait_evaluated(hub, load.published + offset, 600)
        steady_alerts = hub.count("alerts") - alerts0
        steady_pub = load.published - pub0
        progress(f"  steady: {steady_pub} messages in {steady_wall:.1f} s, lag max {max(lags)}")
        alerts1, pub1 = hub.count("alerts"), load.published
        t1 = time.monotonic()
        for _ in range(flood_s):
            load.publish_second()
        await _wait_evaluated(hub, load.published + offset, 1800)
        flood_wall = time.monotonic() - t1
        flood_n = load.published - pub1
        flood_alerts = hub.count("alerts") - alerts1
        progress(f"  flood: {flood_n} messages in {flood_wall:.1f} s, {flood_alerts} alerts")
        progress(f"  evaluated by the hub, then each worker: {hub.evaluated_each()}")
    finally:
        await load.bus.stop()
    lags.sort()
    return Throughput(
        workers=workers,
        steady_s=round(steady_wall, 1),
        steady_published=steady_pub,
        steady_detections_per_s=round(steady_pub / steady_wall, 1),
        steady_alerts_per_s=round(steady_alerts / steady_wall, 2),
        lag_p50_msgs=lags[len(lags) // 2],
        lag_max_msgs=lags[-1],
        tail_s=round(tail_s, 2),
        flood_messages=flood_n,
        flood_s=round(flood_wall, 1),
        capacity_detections_per_s=round(flood_n / flood_wall, 1),
        capacity_alerts_per_s=round(flood_alerts / flood_wall, 2),
        boxes_per_message=round(load.boxes / max(1, load.published), 2),
    )


def result_row(t: Throughput) -> dict[str, Any]:
    return {f"n{t.workers}_{k}": v for k, v in asdict(t).items() if k != "workers"}
