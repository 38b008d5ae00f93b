"""The edge uplink end to end: a real edge (its own database, store and bus) sends to a real hub
(the whole API over TLS on loopback) through the durable queue."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.integration.uplink.hub import Edge, Hub
from vigil.alerts.incidents import IncidentRecorder, alert_id_of
from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import SystemClock
from vigil.db.tables import FACE_EMBEDDING_DIM, Alert, Event, FaceEmbedding, Segment
from vigil.edge.heartbeat import HEARTBEATS, Heartbeat
from vigil.edge.uplink import (
    Uplink,
    UplinkSendError,
    uplink_dropped_total,
    uplink_refused_total,
    uplink_sent_total,
)
from vigil.faces.search import FaceSearch
from vigil.model.messages import AlertCleared, AlertRequest, SegmentInfo
from vigil.storage.recordings import segment_key
from vigil.vision.face_tracks import FaceRecord, store_faces
from vigil.vision.faces import EMBEDDING_MODEL

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def until(check: Callable[[], Any], what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def hub_count(hub: Hub, model: type[Event] | type[Alert] | type[Segment]) -> int:
    with hub.api.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def hub_alert_messages(sub: Subscription) -> list[dict[str, Any]]:
    """Everything the hub published on alerts.critical so far (what its dashboard saw)."""
    out = []
    while (message := await sub.get(timeout_s=0.01)) is not None:
        out.append(message.value)
        sub.commit(message)
    return out


class EdgeSite:
    """What the edge's pipeline does, in miniature: raise alerts, beat, finish segments."""

    def __init__(self, edge: Edge, bus: MemoryBus) -> None:
        self.edge = edge
        self.bus = bus
        self.recorder = IncidentRecorder(edge.db, edge.store, bus, SystemClock())
        self.n = 0

    async def alert(self, camera_id: str, *, picture: bool = False) -> str:
        """Raise one alert (with a snapshot when `picture`); returns its id."""
        self.n += 1
        key = f"intrusion:{camera_id}:{self.n}"
        request = AlertRequest(
            key=key, camera_id=camera_id, type="zone_intrusion", severity="high",
            title=f"{camera_id} #{self.n}", occurred_at=T0 + timedelta(seconds=self.n),
            image=np.full((90, 160, 3), self.n, np.uint8) if picture else None,
        )  # fmt: skip
        assert await self.recorder.raise_alert(request)
        return str(alert_id_of(key))

    def beat(self) -> None:
        self.n += 1
        at = T0 + timedelta(seconds=self.n)
        self.bus.publish(HEARTBEATS, "site-1", Heartbeat("site-1", at, 2, 10**9, 40.0))

    def segment(self, camera_id: str) -> SegmentInfo:
        self.n += 1
        start = T0 + timedelta(seconds=10 * self.n)
        key = segment_key(camera_id, start)
        data = os.urandom(50_000)
        self.edge.store.put_bytes("video-segments", key, data)
        info = SegmentInfo(camera_id, key, start, start + timedelta(seconds=10), len(data), 1)
        self.bus.publish(topics.SEGMENTS, camera_id, info)
        return info


async def test_events_alerts_heartbeats_and_segments_arrive_once(hub: Hub, edge: Edge) -> None:
    hub_alerts = hub.api.services.bus.subscribe(topics.ALERTS, "test-dashboard")
    bus = MemoryBus(SystemClock())
    uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3"), bus)
    await uplink.start()
    site = EdgeSite(edge, bus)
    try:
        ids = [await site.alert("gate", picture=True), await site.alert("perimeter-north")]
        site.beat()
        seg = site.segment("gate")
        await until(lambda: hub_count(hub, Segment) == 1 and uplink.depth == 0, "the uplink")
    finally:
        await uplink.stop()

    assert hub_count(hub, Event) == 2 and hub_count(hub, Alert) == 2
    assert hub.api.services.store.get_bytes("video-segments", seg.key) == (
        edge.store.get_bytes("video-segments", seg.key)
    )
    seen = await hub_alert_messages(hub_alerts)
    assert [(m["type"], m["alert"]["id"]) for m in seen] == [("alert.created", i) for i in ids]
    admin = hub.api.login("admin")
    edges = hub.api.client.get("/api/v1/system/edges", headers=admin).json()
    assert [(e["edge_id"], e["status"]) for e in edges] == [("site-1", "ONLINE")]
    assert edges[0]["queue_depth"] is not None and edges[0]["streams_online"] == 2
    alert = hub.api.client.get(f"/api/v1/alerts/{ids[0]}", headers=admin).json()
    snapshot = hub.api.client.get(alert["snapshot_url"], headers=admin)
    assert snapshot.status_code == 200 and snapshot.content[:2] == b"\xff\xd8"  # a JPEG
    recordings = hub.api.client.get(
        "/api/v1/recordings",
        params={
            "camera_id": "gate",
            "start": T0.isoformat(),
            "end": (T0 + timedelta(hours=1)).isoformat(),
        },
        headers=admin,
    )
    assert recordings.status_code == 200, recordings.text
    assert seg.key in recordings.text


async def test_link_down_then_up_replays_everything_once_in_order(hub: Hub, edge: Edge) -> None:
    hub_alerts = hub.api.services.bus.subscribe(topics.ALERTS, "test-dashboard")
    hub.server.stop()  # the WAN is down
    bus = MemoryBus(SystemClock())
    uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3", batch_items=3), bus)
    await uplink.start()
    site = EdgeSite(edge, bus)
    try:
        produced: dict[str, list[str]] = {"gate": [], "perimeter-north": []}
        segments = []
        for round_ in range(4):
            for camera in produced:
                produced[camera].append(await site.alert(camera))
            site.beat()
            segments.append(site.segment("gate" if round_ % 2 else "perimeter-north"))
        # 8 events + 8 alerts + 4 segments + the newest heartbeat wait on disk.
        await until(lambda: uplink.depth == 21 and uplink.last_error is not None, "queueing")
        assert uplink.health().status == "degraded"
        assert hub_count(hub, Alert) == 0

        hub.server.start()  # link restored
        await until(lambda: uplink.depth == 0, "the replay")
    finally:
        await uplink.stop()

    assert hub_count(hub, Event) == 8 and hub_count(hub, Alert) == 8
    assert hub_count(hub, Segment) == 4
    for seg in segments:
        assert hub.api.services.store.exists("video-segments", seg.key)
    seen = await hub_alert_messages(hub_alerts)
    created = [m["alert"] for m in seen if m["type"] == "alert.created"]
    assert len(created) == len({a["id"] for a in created}) == 8  # each exactly once
    for camera, ids in produced.items():
        assert [a["id"] for a in created if a["camera_id"] == camera] == ids  # in order
    assert uplink.health().status == "ok"


async def test_an_edge_killed_between_send_and_delete_duplicates_nothing(
    hub: Hub, edge: Edge
) -> None:
    hub_alerts = hub.api.services.bus.subscribe(topics.ALERTS, "test-dashboard")
    config = hub.config(edge.dir / "q.sqlite3")
    first = edge.uplink(config)
    await first.open()
    site = EdgeSite(edge, MemoryBus(SystemClock()))
    for camera in ("gate", "gate", "perimeter-north"):
        alert_id = await site.alert(camera)
        event, alert = first._load(uuid.UUID(alert_id))
        assert event is not None and alert is not None
        await first.enqueue("event", event["id"], event)
        await first.enqueue("alert", alert["id"], alert)
    assert first.queue is not None
    head = first.queue.peek(4)
    # The hub stores the first batch; the edge dies before it deletes it (no stop, no close).
    await first._post(head)
    assert hub_count(hub, Alert) == 2
    del first

    second = edge.uplink(config)  # the restarted edge reopens the same queue file
    await second.start()
    try:
        assert second.depth == 6
        await until(lambda: second.depth == 0, "the resend")
    finally:
        await second.stop()
    assert hub_count(hub, Event) == 3 and hub_count(hub, Alert) == 3
    created = [m for m in await hub_alert_messages(hub_alerts) if m["type"] == "alert.created"]
    assert len(created) == 3


async def test_a_full_queue_drops_old_segments_never_alerts(hub: Hub, edge: Edge) -> None:
    hub.server.stop()
    bus = MemoryBus(SystemClock())
    uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3", max_items=12), bus)
    await uplink.start()
    site = EdgeSite(edge, bus)
    dropped = uplink_dropped_total.labels(kind="segment")
    refused = uplink_refused_total.labels(kind="alert")
    dropped_before, refused_before = dropped._value.get(), refused._value.get()

    def queued_segments() -> list[str]:
        assert uplink.queue is not None
        return [i.id for i in uplink.queue.peek(100) if i.kind == "segment"]

    try:
        segments = [site.segment("gate") for _ in range(6)]
        await until(lambda: uplink.depth == 6, "the segments")
        alerts = [await site.alert("gate") for _ in range(4)]
        await until(lambda: uplink.depth == 12 and len(queued_segments()) == 4, "a full queue")
        assert queued_segments() == [s.key for s in segments[2:]]  # the oldest went first
        alerts += [await site.alert("gate") for _ in range(2)]
        await until(lambda: not queued_segments(), "records only")
        # Full of records: the next alert stays in the edge's database only, loudly.
        await site.alert("gate")
        await until(lambda: refused._value.get() == refused_before + 1, "the refusal")
        health = uplink.health()
        assert health.status == "degraded" and "queue full" in (health.detail or "")
        hub.server.start()
        await until(lambda: uplink.depth == 0, "the replay")
    finally:
        await uplink.stop()
    assert dropped._value.get() == dropped_before + 6
    assert hub_count(hub, Alert) == 6 and hub_count(hub, Event) == 6
    with hub.api.db.session() as session:
        assert {str(i) for i in session.scalars(select(Alert.id))} == set(alerts)


async def test_a_replay_never_undoes_what_people_did_at_the_hub(hub: Hub, edge: Edge) -> None:
    bus = MemoryBus(SystemClock())
    uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3"), bus)
    await uplink.start()
    site = EdgeSite(edge, bus)
    try:
        alert_id = await site.alert("gate")
        await until(lambda: hub_count(hub, Alert) == 1 and uplink.depth == 0, "the alert")
        olga = hub.api.login("olga")
        r = hub.api.client.post(f"/api/v1/alerts/{alert_id}/ack", headers=olga)
        assert r.status_code == 200, r.text
        # The same alert again (a replay) changes nothing ...
        _, row = uplink._load(uuid.UUID(alert_id))
        assert row is not None and row["status"] == "new"
        await uplink.enqueue("alert", alert_id, row)
        await until(lambda: uplink.depth == 0, "the replay")
        got = hub.api.client.get(f"/api/v1/alerts/{alert_id}", headers=olga).json()
        assert (got["status"], got["acknowledged_by"]) == ("acknowledged", "olga")
        # ... while the edge resolving it (the condition cleared) moves it on.
        await site.recorder.clear(AlertCleared("intrusion:gate:1", "gate", T0, resolve=True))
        await until(
            lambda: (
                hub.api.client.get(f"/api/v1/alerts/{alert_id}", headers=olga).json()["status"]
                == "resolved"
            ),
            "the resolution",
        )
    finally:
        await uplink.stop()
    got = hub.api.client.get(f"/api/v1/alerts/{alert_id}", headers=olga).json()
    assert (got["acknowledged_by"], got["resolved_by"]) == ("olga", "system")


def _batch(edge_id: str, heartbeat_edge: str = "site-1") -> dict[str, Any]:
    beat = {"edge_id": heartbeat_edge, "timestamp": T0.isoformat(), "stream_count": 1,
            "disk_free": 1, "mem_usage": 1.0}  # fmt: skip
    return {
        "edge_id": edge_id,
        "items": [
            {"seq": 1, "kind": "heartbeat", "id": "h", "enqueued_at": T0.isoformat(), "body": beat}
        ],
    }


def test_only_the_edges_own_key_may_send(hub: Hub) -> None:
    client = hub.api.client
    url = "/api/v1/ingest/batch"
    own = {"X-API-Key": hub.key}
    assert client.post(url, json=_batch("site-1"), headers=own).status_code == 200
    wrong = client.post(url, json=_batch("site-1"), headers={"X-API-Key": hub.other_key})
    assert wrong.status_code == 403 and "site-2" in wrong.json()["detail"]
    forged = client.post(url, json=_batch("site-1", heartbeat_edge="site-2"), headers=own)
    assert forged.status_code == 403 and "items[0].body.edge_id" in forged.json()["detail"]
    admin = client.post(url, json=_batch("site-1"), headers=hub.api.login("admin"))
    assert admin.status_code == 403 and "users cannot" in admin.json()["detail"]
    assert client.post(url, json=_batch("site-1")).status_code == 401
    r = client.post("/api/v1/api-keys", json={"name": "grafana"}, headers=hub.api.login("admin"))
    plain = client.post(url, json=_batch("site-1"), headers={"X-API-Key": r.json()["key"]})
    assert plain.status_code == 403 and "not an edge key" in plain.json()["detail"]


BAD_KEYS = [
    "gate/%2E%2E/%2E%2E/etc/passwd.mp4",  # '..' escaped past the client's normalisation
    "gate/%2E/x.mp4",
    "gate/a%5C..%5Cb.mp4",  # backslashes
    "other/x.mp4",  # not under its camera
    "gate/x.sh",
]


def test_segment_keys_are_checked_strictly(hub: Hub) -> None:
    params = {"camera_id": "gate", "start": T0.isoformat(), "end": T0.isoformat()}
    for key in BAD_KEYS:
        r = hub.api.client.put(
            f"/api/v1/ingest/segments/{key}", params=params, content=b"x",
            headers={"X-API-Key": hub.key, "X-Content-SHA256": "0" * 64},
        )  # fmt: skip
        assert r.status_code == 422, (key, r.text)
        assert "must be '<camera_id>/" in r.json()["detail"], key
    assert hub_count(hub, Segment) == 0


def test_a_corrupted_segment_upload_is_refused_and_not_stored(hub: Hub) -> None:
    key = segment_key("gate", T0)
    params = {"camera_id": "gate", "start": T0.isoformat(), "end": T0.isoformat()}
    r = hub.api.client.put(
        f"/api/v1/ingest/segments/{key}", params=params, content=b"video bytes",
        headers={"X-API-Key": hub.key, "X-Content-SHA256": "0" * 64},
    )  # fmt: skip
    assert r.status_code == 422 and "X-Content-SHA256" in r.json()["detail"]
    assert not hub.api.services.store.exists("video-segments", key)


async def test_tls_is_verified_and_a_wrong_key_keeps_items_queued(hub: Hub, edge: Edge) -> None:
    for overrides, expected in (
        ({"ca_file": None}, "CERTIFICATE_VERIFY_FAILED"),
        ({"api_key": hub.other_key}, "403"),
    ):
        uplink: Uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3", **overrides))
        await uplink.open()
        beat = {"edge_id": "site-1", "timestamp": T0.isoformat(), "stream_count": 0}
        await uplink.enqueue("heartbeat", "h1", {**beat, "disk_free": 0, "mem_usage": 0})
        with pytest.raises(UplinkSendError, match=expected):
            await uplink.send_once()
        assert uplink.depth == 1
        await uplink.stop()


def test_the_hub_url_must_be_https(hub: Hub, tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="must be an https:// URL"):
        hub.config(tmp_path / "q", hub_url=f"http://127.0.0.1:{hub.server.port}")


async def test_items_that_cannot_be_delivered_do_not_jam_the_queue(hub: Hub, edge: Edge) -> None:
    bus = MemoryBus(SystemClock())
    uplink = edge.uplink(hub.config(edge.dir / "q.sqlite3"), bus)
    await uplink.open()
    site = EdgeSite(edge, bus)
    alert_id = await site.alert("gate")
    event, alert = uplink._load(uuid.UUID(alert_id))
    assert event is not None and alert is not None
    invalid = uplink_dropped_total.labels(kind="alert")
    gone = uplink_dropped_total.labels(kind="segment")
    invalid_before, gone_before = invalid._value.get(), gone._value.get()
    await uplink.enqueue("event", event["id"], event)
    await uplink.enqueue("alert", "broken", {**alert, "status": "lost in transit"})
    await uplink.enqueue("alert", alert["id"], alert)
    # A segment that retention removed from the ring buffer before the link came back.
    await uplink.enqueue("segment", "gate/x.mp4", {"camera_id": "gate"}, object_key="gate/x.mp4")
    try:
        for _ in range(10):
            with contextlib.suppress(UplinkSendError):  # the first try sends the bad batch
                await uplink.send_once()
            if uplink.depth == 0:
                break
    finally:
        await uplink.stop()
    assert hub_count(hub, Event) == 1 and hub_count(hub, Alert) == 1
    assert invalid._value.get() == invalid_before + 1  # the hub's 422 names it; dropped
    assert gone._value.get() == gone_before + 1


FACE_OPTIONS = {"faces_every_s": 0.1, "faces_settle_s": 0.2}


def store_edge_faces(edge: Edge, cameras: list[str], seed: int) -> tuple[list[str], np.ndarray]:
    """Faces seen at the edge (random unit vectors, one per camera given); (ids, vectors)."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(cameras), FACE_EMBEDDING_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    records = [
        FaceRecord(camera, n, T0 + timedelta(seconds=n), vector, 0.9)
        for n, (camera, vector) in enumerate(zip(cameras, vectors, strict=True))
    ]
    return store_faces(edge.db, records), vectors


def hub_faces(hub: Hub) -> dict[str, tuple[str, np.ndarray]]:
    """id -> (camera, embedding) of every face at the hub."""
    with hub.api.db.session() as session:
        return {
            str(f.id): (f.camera_id, np.asarray(f.embedding, np.float32))
            for f in session.scalars(select(FaceEmbedding))
        }


async def test_faces_reach_the_hub_once_across_an_outage_and_a_restart(
    hub: Hub, edge: Edge
) -> None:
    sent = uplink_sent_total.labels(kind="face")
    sent_before = sent._value.get()
    hub.server.stop()  # the WAN is down
    config = hub.config(edge.dir / "q.sqlite3", batch_items=2)
    ids, vectors = store_edge_faces(edge, ["gate", "gate", "perimeter-north"], seed=1)
    uplink = edge.uplink(config, **FACE_OPTIONS)
    await uplink.start()
    try:
        await until(lambda: uplink.depth == 3, "the faces queued")
        assert hub_faces(hub) == {}
        hub.server.start()  # link restored
        await until(lambda: uplink.depth == 0, "the replay")
    finally:
        await uplink.stop()
    # The restarted edge sends only the faces stored since: its cursor is in the queue file.
    more, more_vectors = store_edge_faces(edge, ["gate", "perimeter-north"], seed=2)
    again = edge.uplink(config, **FACE_OPTIONS)
    await again.start()
    try:
        await until(lambda: len(hub_faces(hub)) == 5 and again.depth == 0, "the new faces")
        await asyncio.sleep(0.5)  # a few more polling rounds: nothing is sent twice
    finally:
        await again.stop()
    assert sent._value.get() == sent_before + 5

    at_hub = hub_faces(hub)
    assert sorted(at_hub) == sorted(ids + more)
    for face_id, vector in zip(ids + more, np.vstack([vectors, more_vectors]), strict=True):
        assert np.array_equal(at_hub[face_id][1], vector)  # not a digit lost on the way
    with hub.api.db.session() as session:  # and the model that made them, so search compares
        models = set(session.scalars(select(FaceEmbedding.embedding_model)))
    assert models == {EMBEDDING_MODEL}
    # The hub's face search now covers the site: a new sighting of the second face finds it.
    noise = np.random.default_rng(3).normal(scale=0.01, size=FACE_EMBEDDING_DIM)
    probe = (vectors[1] + noise).astype(np.float32)
    search = FaceSearch(hub.api.db)
    best = search.by_vector(probe / np.linalg.norm(probe), limit=3, cameras=None)[0]
    assert (best.id, best.camera_id) == (ids[1], "gate") and best.similarity > 0.9
    scoped = search.by_vector(more_vectors[1], limit=1, cameras=frozenset({"perimeter-north"}))
    assert [m.id for m in scoped] == [more[1]]


async def test_faces_sent_again_after_a_crash_are_duplicates(hub: Hub, edge: Edge) -> None:
    config = hub.config(edge.dir / "q.sqlite3")
    ids, _ = store_edge_faces(edge, ["gate", "perimeter-north"], seed=4)
    first = edge.uplink(config, **FACE_OPTIONS)
    await first.open()
    await until(first.queue_faces, "the faces to settle")
    assert first.queue is not None
    head = first.queue.peek(10)
    assert sorted(i.id for i in head) == sorted(ids)
    await first._post(head)  # the hub stores them; the edge dies before it deletes them
    del first
    replay = {
        "edge_id": "site-1",
        "items": [
            {"seq": i.seq, "kind": i.kind, "id": i.id, "enqueued_at": T0.isoformat(),
             "body": i.body}
            for i in head
        ],
    }  # fmt: skip
    r = hub.api.client.post("/api/v1/ingest/batch", json=replay, headers={"X-API-Key": hub.key})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["duplicates"]) == (0, 2)

    second = edge.uplink(config, **FACE_OPTIONS)  # the restarted edge resends the queue
    await second.start()
    try:
        assert second.depth == 2
        await until(lambda: second.depth == 0, "the resend")
    finally:
        await second.stop()
    assert sorted(hub_faces(hub)) == sorted(ids)


def test_a_bad_face_is_refused_naming_the_item(hub: Hub) -> None:
    good = {
        "id": str(uuid.uuid4()), "camera_id": "gate", "track_id": 1,
        "captured_at": T0.isoformat(), "embedding": [0.1] * FACE_EMBEDDING_DIM, "quality": 0.8,
    }  # fmt: skip
    for bad, expected in (
        ({"embedding": [0.1] * (FACE_EMBEDDING_DIM - 1)}, "at least 512"),
        ({"embedding": [0.1] * 10 + [float("nan")] * 502}, "embedding[10] is not a finite"),
        ({"embedding": [0.1] * 511 + [1e39]}, "embedding[511] is not a finite"),
        ({"embedding": [0.0] * FACE_EMBEDDING_DIM}, "all zeros"),
        ({"camera_id": "../gate"}, "camera_id"),
        ({"embedding_model": "Face Net!"}, "embedding_model"),
    ):
        items = [
            {"seq": n, "kind": "face", "id": body["id"], "enqueued_at": T0.isoformat(),
             "body": body}
            for n, body in enumerate([good, {**good, "id": str(uuid.uuid4()), **bad}])
        ]  # fmt: skip
        r = hub.api.client.post(
            "/api/v1/ingest/batch",
            content=json.dumps({"edge_id": "site-1", "items": items}),  # NaN as Python writes it
            headers={"X-API-Key": hub.key, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "items[1].face.body." in detail and expected in detail, detail
    assert hub_faces(hub) == {}  # nothing of a refused batch is stored
