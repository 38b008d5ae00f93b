"""Two `vigil hub` replicas wired from the environment alone, as the Helm chart runs them:
VIGIL_DATABASE_URL (one PostgreSQL), VIGIL_KAFKA_BOOTSTRAP (tansu), VIGIL_S3_ENDPOINT
(SeaweedFS) and VIGIL_REDIS_URL (Redis).

What a user of either replica sees: an alert reaches the WebSocket clients of both replicas
exactly once; recordings, exports and event snapshots kept in S3 play and download; an edge
heard by one replica is listed by both; the anonymous rate limit counts both replicas' calls.
Each replica runs in its own thread and event loop, talked to over HTTP like a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.integration.media.recorded import encode_clip, record
from tests.support.db import template_copy
from vigil.alerts.incidents import IncidentRecorder, event_id_of
from vigil.app.demo import demo_config
from vigil.app.runtime import RuntimeOptions, Vigil
from vigil.bus import MemoryBus, topics
from vigil.bus.kafka import KafkaBus
from vigil.clock import SystemClock
from vigil.config import SiteConfig
from vigil.db.admin import drop_database
from vigil.db.session import Database
from vigil.edge.heartbeat import Heartbeat
from vigil.model.messages import AlertRequest
from vigil.storage.s3 import S3ObjectStore
from vigil.storage.select import object_store_for

ADMIN_PASSWORD = "replicas-admin-password-1"
ANON_PER_MINUTE = 40
WAIT_S = 60.0  # liveness bound only: the box may be busy
CAMERA = "gate"


class Replica:
    """One hub in its own thread and event loop, as a process would be."""

    def __init__(self, config: SiteConfig, data_dir: Path, database_url: str) -> None:
        options = RuntimeOptions(
            data_dir=data_dir, port=0, database_url=database_url,
            admin_password=ADMIN_PASSWORD, start_cameras=False, role="hub",
        )  # fmt: skip
        self.vigil = Vigil(config, options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._up = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self.http: httpx.Client | None = None
        self.token = ""

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            await self.vigil.start()
        except BaseException as err:
            self._error = err
            self._up.set()
            return
        self._up.set()
        await self._stop.wait()
        await self.vigil.stop()

    def start(self) -> None:
        self._thread.start()
        assert self._up.wait(180), "the hub did not start"
        if self._error is not None:
            raise self._error
        self.http = httpx.Client(base_url=self.vigil.url, timeout=30)
        self.token = self.login()

    def login(self) -> str:
        assert self.http is not None
        r = self.http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def get(
        self, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        assert self.http is not None
        auth = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return self.http.get(path, headers=auth, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        assert self.http is not None
        return self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.token}"})

    def websocket(self) -> ClientConnection:
        ws_url = self.vigil.url.replace("http://", "ws://")
        return connect(f"{ws_url}/ws/alerts?token={self.token}", open_timeout=30)

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


@dataclass
class Cluster:
    replicas: list[Replica]
    db: Database
    store: S3ObjectStore
    kafka_bootstrap: str
    site_id: str


@pytest.fixture(scope="module")
def cluster(
    pg_url: str,
    db_template: str,
    kafka_bootstrap: str,
    s3_endpoint: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    site_id = f"replicas-{uuid.uuid4().hex[:6]}"  # its own consumer groups on the broker
    base = demo_config(8554, "pw", channels=2)
    config = base.model_copy(
        update={
            "site": base.site.model_copy(update={"id": site_id}),
            "security": base.security.model_copy(
                update={
                    "require_admin_mfa": False,
                    "anonymous_requests_per_minute": ANON_PER_MINUTE,
                }
            ),
        }
    )
    env = {
        "VIGIL_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "VIGIL_S3_ENDPOINT": s3_endpoint,
        "VIGIL_S3_BUCKET_PREFIX": f"{site_id}-",
        "AWS_ACCESS_KEY_ID": "vigil",
        "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
        "VIGIL_REDIS_URL": redis_url,
    }
    dropped: list[str] = []
    with (
        pytest.MonkeyPatch.context() as mp,
        template_copy(pg_url, db_template, "vigil_replicas", dropped.append) as db,
    ):
        for name, value in env.items():
            mp.setenv(name, value)
        url = db.engine.url.render_as_string(hide_password=False)
        tmp = tmp_path_factory.mktemp("replicas")
        replicas = [Replica(config, tmp / f"hub-{i}", url) for i in range(2)]
        try:
            for replica in replicas:  # one at a time: the first prepares the database
                replica.start()
            store = object_store_for("hub", tmp / "test")
            assert isinstance(store, S3ObjectStore)
            yield Cluster(replicas, db, store, kafka_bootstrap, site_id)
        finally:
            for replica in replicas:
                replica.stop()
    for name in dropped:
        drop_database(pg_url, name)


def _until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _alert_ids(ws: ClientConnection, wanted: set[str], seen: Counter[str]) -> None:
    """Read `ws` until every id in `wanted` arrived; counts every alert id read in `seen`."""
    deadline = time.monotonic() + WAIT_S
    while not wanted <= set(seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"missing alerts {sorted(wanted - set(seen))}"
        message = json.loads(ws.recv(timeout=remaining))
        alert = message.get("alert")
        if isinstance(alert, dict):
            seen[str(alert.get("id"))] += 1


def test_an_alert_reaches_websocket_clients_of_both_replicas_exactly_once(
    cluster: Cluster,
) -> None:
    stack = contextlib.ExitStack()
    sockets = [
        stack.enter_context(replica.websocket()) for replica in cluster.replicas for _ in range(2)
    ]
    producer = KafkaBus(cluster.kafka_bootstrap, client_id="test-analytics")
    asyncio.run(producer.start())
    try:
        keys = [f"cam-{i}" for i in range(8)]  # spread over the topic's partitions

        def send(tag: str) -> set[str]:
            ids = {f"{tag}-{key}" for key in keys}
            for key in keys:
                alert = {"id": f"{tag}-{key}", "camera_id": CAMERA, "title": "intrusion"}
                producer.publish(topics.ALERTS, key, {"type": "alert.created", "alert": alert})
            producer.flush()
            return ids

        sent = send("first")
        counts: list[Counter[str]] = [Counter() for _ in sockets]
        for ws, seen in zip(sockets, counts, strict=True):
            _alert_ids(ws, sent, seen)
        # A second round on the same partitions comes after every copy of the first that any
        # replica could have sent: reading it flushes out duplicates.
        later = send("second")
        for ws, seen in zip(sockets, counts, strict=True):
            _alert_ids(ws, later, seen)
        for seen in counts:
            assert {i: seen[i] for i in sent | later} == dict.fromkeys(sent | later, 1)
    finally:
        stack.close()
        asyncio.run(producer.stop())


T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_recordings_in_s3_play_and_export_through_either_replica(
    cluster: Cluster, tmp_path: Path
) -> None:
    clip = encode_clip(tmp_path / "clip.mp4", seconds=12)
    segments = record(
        clip, [T0], camera_id=CAMERA, store=cluster.store, db=cluster.db, staging=tmp_path / "st"
    )
    assert segments and all(
        cluster.store.local_path("video-segments", s.key) is None for s in segments
    )
    first, second = cluster.replicas

    r = second.get(
        f"/api/v1/recordings/{CAMERA}/vod.m3u8",
        params={"start": _iso(T0), "end": _iso(T0 + timedelta(seconds=12))},
    )
    assert r.status_code == 200, r.text
    uris = [line for line in r.text.splitlines() if line.startswith("segments/")]
    assert len(uris) == len(segments)
    url = f"/api/v1/recordings/{CAMERA}/{uris[0]}"
    whole = first.get(url)
    assert whole.status_code == 200 and len(whole.content) == segments[0].size_bytes
    part = second.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == whole.content[:100]
    with av.open(io.BytesIO(whole.content)) as container:
        assert sum(1 for _ in container.decode(video=0)) == round(segments[0].duration_s * 25)

    r = first.post(
        "/api/v1/exports",
        {
            "camera_id": CAMERA,
            "start": _iso(T0 + timedelta(seconds=2)),
            "end": _iso(T0 + timedelta(seconds=9)),
        },
    )
    assert r.status_code == 202, r.text
    export_id = r.json()["id"]
    body: dict[str, Any] = {}

    def ready() -> bool:
        nonlocal body
        body = second.get(f"/api/v1/exports/{export_id}").json()
        return bool(body["status"] != "pending")

    _until("the export", ready)
    assert body["status"] == "ready", body
    download = second.get(body["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    with av.open(io.BytesIO(download.content)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx((9 - 2) * 25, abs=30)  # from the keyframe at or before 2 s
    assert any(o.key.endswith(".mp4") for o in cluster.store.list("clips"))


def test_an_event_snapshot_written_by_a_worker_is_served_from_s3(cluster: Cluster) -> None:
    # What the analytics worker does with an alert that has a picture: event, alert, snapshot.
    worker = IncidentRecorder(cluster.db, cluster.store, MemoryBus(), SystemClock())
    key = f"intrusion:{CAMERA}:{uuid.uuid4().hex[:8]}"
    request = AlertRequest(
        key=key, camera_id=CAMERA, type="zone_intrusion", severity="high", title="intrusion",
        occurred_at=datetime.now(UTC), image=np.full((90, 160, 3), 200, np.uint8),
    )  # fmt: skip
    assert asyncio.run(worker.raise_alert(request))
    for replica in cluster.replicas:
        r = replica.get(f"/api/v1/events/{event_id_of(key)}/snapshot")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"


def test_an_edge_heard_by_one_replica_is_listed_by_both(cluster: Cluster) -> None:
    first, second = cluster.replicas
    r = first.post("/api/v1/api-keys", {"name": "edge site-9"})
    assert r.status_code in (200, 201), r.text
    beat = Heartbeat("site-9", datetime.now(UTC), 4, 10**10, 33.3, queue_depth=12)
    item = {
        "seq": 1, "kind": "heartbeat", "id": "beat-1", "enqueued_at": _iso(beat.timestamp),
        "body": {"edge_id": "site-9", "timestamp": _iso(beat.timestamp), "stream_count": 4,
                 "disk_free": 10**10, "mem_usage": 33.3, "queue_depth": 12},
    }  # fmt: skip
    assert first.http is not None
    sent = first.http.post(
        "/api/v1/ingest/batch",
        json={"edge_id": "site-9", "items": [item]},
        headers={"X-API-Key": r.json()["key"]},
    )
    assert sent.status_code == 200, sent.text
    for replica in cluster.replicas:
        edges = [e for e in replica.get("/api/v1/system/edges").json() if e["edge_id"] == "site-9"]
        assert [(e["status"], e["streams_online"], e["queue_depth"]) for e in edges] == [
            ("ONLINE", 4, 12)
        ]
    assert second is not first


def test_the_anonymous_rate_limit_counts_calls_to_both_replicas(cluster: Cluster) -> None:
    # Last in this module: afterwards this address may not sign in for a minute.
    answers: dict[int, list[int]] = {0: [], 1: []}
    for i in range(2 * ANON_PER_MINUTE):
        replica = cluster.replicas[i % 2]
        assert replica.http is not None
        answers[i % 2].append(replica.http.get("/api/v1/cameras").status_code)
    allowed = sum(code != 429 for codes in answers.values() for code in codes)
    assert allowed <= ANON_PER_MINUTE  # per replica alone, each would allow them all
    assert 429 in answers[0] and 429 in answers[1]
    refused = cluster.replicas[1].http.get("/api/v1/cameras")  # type: ignore[union-attr]  # started
    assert refused.status_code == 429 and re.search(r"\d+ per minute", refused.json()["detail"])
