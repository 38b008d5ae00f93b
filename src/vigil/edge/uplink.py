"""The edge's store-and-forward uplink to the hub.

What the hub needs (events, alerts, heartbeats, finished segments) is taken from the bus, and
new faces from the `face_embeddings` table (after a durable cursor, every few seconds), put in
a durable local queue (uplink_queue.py) and sent to the hub in order over HTTPS with this edge's
API key: batches of records to `POST /api/v1/ingest/batch`, segment files streamed to
`PUT /api/v1/ingest/segments/{key}`. Items leave the queue only after the hub's 2xx; ids are
deterministic, so a batch sent twice (a crash between the hub's answer and the delete) changes
nothing at the hub. While the hub or the link is down the edge keeps recording and alerting
locally; the sender retries with backoff (1, 2, 4 … 60 s, jittered) and replays everything on
recovery. Nothing here can stall the recorder: the bus consumers only write to the local queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

import httpx

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.config import UplinkConfig
from vigil.db.session import Database
from vigil.db.tables import Alert, Event
from vigil.edge.backoff import Backoff
from vigil.edge.heartbeat import HEARTBEATS, Heartbeat
from vigil.edge.metrics import (
    uplink_dropped_total,
    uplink_last_success_timestamp,
    uplink_queue_bytes,
    uplink_queue_depth,
    uplink_refused_total,
    uplink_sent_total,
)
from vigil.edge.uplink_faces import FACE_BATCH, new_faces
from vigil.edge.uplink_queue import FACE_CURSOR, FILE_KINDS, Kind, Put, QueueItem, UplinkQueue
from vigil.model.messages import SegmentInfo
from vigil.ops.health import ComponentHealth, HealthRegistry
from vigil.ops.tasks import cancel_and_wait
from vigil.storage import ObjectStore

log = logging.getLogger(__name__)

__all__ = [
    "Uplink",
    "UplinkConfig",
    "UplinkSendError",
    "uplink_dropped_total",
    "uplink_refused_total",
    "uplink_sent_total",
]

_CHUNK = 1 << 20
SEGMENTS, SNAPSHOTS = "video-segments", "snapshots"  # buckets, the same at the edge and the hub


class UplinkSendError(Exception):
    """One attempt to reach the hub failed; the items stay queued and are retried."""


def row_json(row: Event | Alert) -> dict[str, Any]:
    """A database row as JSON: every column, times in ISO 8601 with offset, UUIDs as text."""
    out: dict[str, Any] = {}
    for attr in row.__mapper__.column_attrs:
        value = getattr(row, attr.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, uuid.UUID):
            value = str(value)
        out[attr.key] = value
    return out


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verification on; the system's CAs, or only `ca_file` when given."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


class Uplink:
    """Bus -> durable queue -> hub. `start()` opens the queue and the HTTPS client."""

    def __init__(
        self,
        config: UplinkConfig,
        *,
        edge_id: str,
        bus: Bus,
        db: Database,
        store: ObjectStore,
        clock: Clock,
        health: HealthRegistry | None = None,
        uniform: Callable[[], float] | None = None,
        faces_every_s: float = 5.0,
        faces_settle_s: float = 2.0,
    ) -> None:
        """`faces_every_s`: how often new faces are looked for. `faces_settle_s`: only faces
        stored at least this long ago are taken, so that one whose transaction began before
        a later one's but committed after it is not passed by the cursor."""
        self.config = config
        self.edge_id = edge_id
        self._bus = bus
        self._db = db
        self._store = store
        self._clock = clock
        self._backoff = Backoff(
            initial_s=config.backoff_initial_s,
            max_s=max(config.backoff_max_s, config.backoff_initial_s),
            uniform=uniform,
        )
        self.queue: UplinkQueue | None = None
        self._usage = (0, 0)  # (items, bytes) queued, as of the last change
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subs: list[Subscription] = []
        self._wake = asyncio.Event()
        self._batch_limit = config.batch_items
        self.last_error: str | None = None
        self.refused = 0  # events and alerts refused since the last one that fitted
        self._faces_every_s = faces_every_s
        self._faces_settle = timedelta(seconds=faces_settle_s)
        if health is not None:
            health.register("uplink", self.health)

    async def open(self) -> None:
        """Open the queue and the client without consuming or sending (start() does both)."""
        cfg = self.config
        self.queue = await asyncio.to_thread(
            UplinkQueue, cfg.queue_path, max_items=cfg.max_items, max_bytes=cfg.max_bytes
        )
        self._client = httpx.AsyncClient(
            base_url=cfg.hub_url,
            verify=ssl_context(cfg.ca_file),
            headers={"X-API-Key": cfg.api_key.get_secret_value()},
            timeout=cfg.timeout_s,
        )
        await self._refresh_usage()

    async def start(self) -> None:
        await self.open()
        consumers: list[tuple[str, Callable[[Any], Awaitable[None]]]] = [
            (topics.ALERTS, self.on_alert_message),
            (HEARTBEATS, self.on_heartbeat),
            (topics.SEGMENTS, self.on_segment),
        ]
        self._subs = [self._bus.subscribe(topic, "uplink") for topic, _ in consumers]
        self._tasks = [
            asyncio.create_task(self._consume(sub, handle), name=f"uplink-{sub_topic}")
            for sub, (sub_topic, handle) in zip(self._subs, consumers, strict=True)
        ]
        self._tasks.append(asyncio.create_task(self._send_loop(), name="uplink-sender"))
        self._tasks.append(asyncio.create_task(self._face_loop(), name="uplink-faces"))
        log.info("uplink to %s started (%d items queued)", self.config.hub_url, self.depth)

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []
        for sub in self._subs:
            sub.close()
        self._subs = []
        if self._client is not None:
            await self._client.aclose()
        if self.queue is not None:
            await asyncio.to_thread(self.queue.close)
            self.queue = None

    @property
    def depth(self) -> int:
        """Items waiting, as of the queue's last change. Read without touching the queue:
        its lock may be held for seconds by a write waiting on SQLite (a busy or slow disk),
        and the event loop must never wait for it."""
        return self._usage[0]

    def health(self) -> ComponentHealth:
        depth = self.depth
        if self.refused:
            return ComponentHealth(
                "degraded",
                f"uplink queue full: {self.refused} events/alerts not queued for the hub "
                f"(kept in the local database); {depth} items waiting",
            )
        if self.last_error is not None and depth:
            return ComponentHealth("degraded", f"hub unreachable ({self.last_error}); {depth} "
                                   "items queued, recording and local alerts continue")  # fmt: skip
        return ComponentHealth("ok", f"{depth} items queued")

    # -- bus -> queue ----------------------------------------------------------------------

    async def enqueue(
        self, kind: Kind, item_id: str, body: dict[str, Any], object_key: str | None = None
    ) -> Put:
        """Queue one item durably; returns what happened to it."""
        assert self.queue is not None, "Uplink.open() first"
        result = await asyncio.to_thread(
            self.queue.put, kind, item_id, body, self._clock.now(), object_key
        )
        for victim, n in result.evicted.items():
            uplink_dropped_total.labels(kind=victim).inc(n)
            if victim in ("segment", "face"):
                log.warning("uplink queue full: %d oldest %s upload(s) dropped", n, victim)
        if result.outcome is Put.DROPPED:
            uplink_dropped_total.labels(kind=kind).inc()
            log.warning("uplink queue full: %s %s dropped", kind, item_id)
        elif result.outcome is Put.REFUSED:
            self.refused += 1
            uplink_refused_total.labels(kind=kind).inc()
            log.error("uplink queue full of events/alerts: %s %s NOT queued for the hub "
                      "(it stays in the local database)", kind, item_id)  # fmt: skip
        elif result.outcome is Put.QUEUED and kind in ("event", "alert"):
            self.refused = 0
        await self._refresh_usage()
        self._wake.set()
        return result.outcome

    async def on_alert_message(self, value: Any) -> None:
        """`alert.created` queues the event and the alert; `alert.updated` the alert again."""
        if not isinstance(value, dict) or value.get("type") not in (
            "alert.created",
            "alert.updated",
        ):
            return
        alert_id = uuid.UUID(str(value["alert"]["id"]))
        event, alert = await asyncio.to_thread(self._load, alert_id)
        if alert is None:
            log.warning("alert %s is not in the local database; not sent to the hub", alert_id)
            return
        if value["type"] == "alert.created":
            if event is not None:
                if event.get("snapshot_key"):  # first, so the hub shows the alert with its picture
                    snap = {"camera_id": event["camera_id"], "key": event["snapshot_key"]}
                    await self.enqueue("snapshot", snap["key"], snap, object_key=snap["key"])
                await self.enqueue("event", event["id"], event)
            await self.enqueue("alert", alert["id"], alert)
        else:
            await self.enqueue("alert", f"{alert['id']}@{alert['updated_at']}", alert)

    def _load(self, alert_id: uuid.UUID) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        with self._db.session() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return None, None
            event = None
            if alert.event_id is not None:
                event = session.query(Event).filter(Event.id == alert.event_id).one_or_none()
            return (row_json(event) if event else None), row_json(alert)

    async def on_heartbeat(self, beat: Any) -> None:
        if not isinstance(beat, Heartbeat) or beat.edge_id != self.edge_id:
            return
        body = {
            "edge_id": beat.edge_id,
            "timestamp": beat.timestamp.isoformat(),
            "stream_count": beat.stream_count,
            "disk_free": beat.disk_free,
            "mem_usage": beat.mem_usage,
        }
        await self.enqueue("heartbeat", f"{beat.edge_id}@{beat.timestamp.isoformat()}", body)

    async def on_segment(self, seg: Any) -> None:
        if not isinstance(seg, SegmentInfo):
            return
        body = {
            "camera_id": seg.camera_id,
            "key": seg.key,
            "start": seg.start.isoformat(),
            "end": seg.end.isoformat(),
            "size_bytes": seg.size_bytes,
            "keyframe_count": seg.keyframe_count,
        }
        await self.enqueue("segment", seg.key, body, object_key=seg.key)

    async def _face_loop(self) -> None:
        while True:
            try:
                taken = await self.queue_faces()
            except Exception:  # the local database or disk failed: the next round retries
                log.exception("uplink could not queue new faces")
                taken = 0
            if taken < FACE_BATCH:  # caught up (or the queue has no room): wait a round
                await self._clock.sleep(self._faces_every_s)

    async def queue_faces(self) -> int:
        """Queue the faces stored after the cursor (at most FACE_BATCH, while there is room);
        returns how many were taken."""
        assert self.queue is not None, "Uplink.open() first"
        cursor = await asyncio.to_thread(self.queue.meta, FACE_CURSOR)
        faces = await asyncio.to_thread(
            new_faces, self._db, cursor, settle=self._faces_settle, limit=FACE_BATCH
        )
        if not faces:
            return 0
        taken = await asyncio.to_thread(self.queue.put_faces, faces, self._clock.now())
        await self._refresh_usage()
        if taken:
            self._wake.set()
        return taken

    async def _consume(self, sub: Subscription, handle: Callable[[Any], Awaitable[None]]) -> None:
        async for message in sub:
            try:
                await handle(message.value)
            except Exception as err:  # the local disk or DB failed: redeliver, then dead-letter
                log.exception("uplink could not queue a %s message", message.topic)
                sub.fail(message, f"uplink: {err}")
                continue
            sub.commit(message)

    # -- queue -> hub ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            try:
                sent = await self.send_once()
            except UplinkSendError as err:
                self.last_error = str(err)
                delay = self._backoff.next_delay()
                log.warning("uplink: %s; retrying in %.1f s (%d items queued)",
                            err, delay, self.depth)  # fmt: skip
                await self._clock.sleep(delay)
                continue
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def send_once(self) -> int:
        """Send the head of the queue (one batch of records, or one segment); returns how many
        items left the queue (0: it was empty). Raises UplinkSendError on failure."""
        assert self.queue is not None, "Uplink.open() first"
        items = await asyncio.to_thread(self.queue.peek, self._batch_limit)
        if not items:
            return 0
        if items[0].kind in FILE_KINDS:
            batch = items[:1]
            sent = batch if await self._upload(items[0]) else []
        else:
            batch = list(takewhile(lambda i: i.kind not in FILE_KINDS, items))
            sent = await self._post(batch)
        await asyncio.to_thread(self.queue.remove, [i.seq for i in batch])
        for item in sent:
            uplink_sent_total.labels(kind=item.kind).inc()
        self.last_error = None
        self._backoff.reset()
        self._batch_limit = self.config.batch_items
        uplink_last_success_timestamp.set(self._clock.now().timestamp())
        await self._refresh_usage()
        return len(batch)

    async def _post(self, batch: list[QueueItem]) -> list[QueueItem]:
        assert self._client is not None
        depth = self.depth
        payload = {
            "edge_id": self.edge_id,
            "items": [
                {
                    "seq": i.seq,
                    "kind": i.kind,
                    "id": i.id,
                    "enqueued_at": i.enqueued_at.isoformat(),
                    "body": {**i.body, "queue_depth": depth} if i.kind == "heartbeat" else i.body,
                }
                for i in batch
            ],
        }
        response = await self._request("POST", "/api/v1/ingest/batch", json=payload)
        if response.status_code == 422:
            if len(batch) > 1:  # find the bad one: send one at a time until it is through
                self._batch_limit = 1
                raise UplinkSendError(f"hub rejected a batch: {_detail(response)}")
            log.error("hub rejected uplink %s %s as invalid, dropped: %s",
                      batch[0].kind, batch[0].id, _detail(response))  # fmt: skip
            uplink_dropped_total.labels(kind=batch[0].kind).inc()
            return []  # off the queue, not counted as sent
        _check(response)
        return batch

    async def _upload(self, item: QueueItem) -> bool:
        """Stream one file (segment or snapshot) to the hub, under the same key as here; False
        when it left the local store (ring buffer retention) before it could be sent."""
        key = item.object_key or item.id
        bucket = SEGMENTS if item.kind == "segment" else SNAPSHOTS
        path = self._store.local_path(bucket, key)
        if path is None or not await asyncio.to_thread(path.is_file):
            log.warning("%s %s left the local store before upload; not sent", item.kind, key)
            uplink_dropped_total.labels(kind=item.kind).inc()
            return False  # nothing left to send: off the queue
        size, digest = await asyncio.to_thread(_size_and_sha256, path)
        body = item.body
        params = {"camera_id": body["camera_id"]}
        if item.kind == "segment":
            params |= {"start": body["start"], "end": body["end"],
                       "keyframe_count": str(body.get("keyframe_count", 0))}  # fmt: skip
        headers = {
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
            "X-Content-SHA256": digest,
        }
        response = await self._request(
            "PUT", f"/api/v1/ingest/{item.kind}s/{key}", params=params, headers=headers,
            content=_chunks(path),
        )  # fmt: skip
        _check(response)
        return True

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        assert self._client is not None
        try:
            return await self._client.request(method, url, **kwargs)
        except httpx.HTTPError as err:
            raise UplinkSendError(f"{type(err).__name__}: {err}") from err

    async def _refresh_usage(self) -> None:
        """Re-read the queue's size in a thread (it takes the queue's lock), for `depth` and
        the gauges."""
        if self.queue is not None:
            count, used = self._usage = await asyncio.to_thread(self.queue.usage)
            uplink_queue_depth.set(count)
            uplink_queue_bytes.set(used)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))[:300]
    except ValueError:
        return response.text[:300]


def _check(response: httpx.Response) -> None:
    if not response.is_success:
        raise UplinkSendError(f"hub answered {response.status_code}: {_detail(response)}")


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, _CHUNK):
            yield chunk
