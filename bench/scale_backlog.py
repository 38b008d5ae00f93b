"""One site's uplink backlog: an edge's durable queue holding `minutes` of what one site of 8
cameras sends (10 s segments of every camera, one incident per camera per minute: its
snapshot, event and alert, a heartbeat every 30 s, of which the queue keeps the newest),
drained into a running hub by the edge's own `Uplink` over TLS; timed until the queue is
empty, then checked at the hub."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import progress
from bench.scale_hub import CAMERAS_PER_SITE, CYCLE_S, HubSide
from vigil.bus import MemoryBus
from vigil.clock import SystemClock
from vigil.db.session import Database
from vigil.edge.uplink import SEGMENTS, SNAPSHOTS, Uplink, UplinkConfig, UplinkSendError
from vigil.edge.uplink_queue import UplinkQueue
from vigil.storage import FsObjectStore

SEGMENT_S = 10
HEARTBEAT_S = 30
SNAPSHOT_BYTES = 60_000


@dataclass(frozen=True, slots=True)
class Backlog:
    minutes: int
    segments: int
    segment_bytes: int
    records: int  # events, alerts, heartbeats
    snapshots: int


@dataclass(frozen=True, slots=True)
class Drain:
    backlog: Backlog
    drain_s: float
    retries: int
    hub_segments: int  # rows added at the hub while draining
    hub_events: int
    hub_alerts: int

    @property
    def megabytes_per_s(self) -> float:
        total = self.backlog.segments * self.backlog.segment_bytes
        total += self.backlog.snapshots * SNAPSHOT_BYTES
        return total / 1e6 / self.drain_s


def _file(path: Path, size: int, first: Path | None) -> Path:
    """A file of `size` random bytes; after the first, hard links to it (no disk used)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if first is None:
        path.write_bytes(os.urandom(size))
        return path
    os.link(first, path)
    return first


def build_backlog(
    queue: UplinkQueue, store: FsObjectStore, start: datetime, minutes: int, segment_bytes: int
) -> Backlog:
    """Fill `queue` (and the edge's local store) as `minutes` of a hub outage would."""
    cams = [f"site0-cam{c}" for c in range(CAMERAS_PER_SITE)]
    seg_file: Path | None = None
    snap_file: Path | None = None
    segments = records = snapshots = 0
    for second in range(0, minutes * 60, SEGMENT_S):
        now = start + timedelta(seconds=second)
        for i, cam in enumerate(cams):
            seg_start = now - timedelta(seconds=SEGMENT_S)
            key = f"{cam}/{seg_start:%Y/%m/%d/%H}/{cam}-{seg_start:%Y%m%dT%H%M%S}.mp4"
            seg_file = _file(store.root / SEGMENTS / key, segment_bytes, seg_file)
            body = {
                "camera_id": cam,
                "key": key,
                "start": seg_start.isoformat(),
                "end": now.isoformat(),
                "size_bytes": segment_bytes,
                "keyframe_count": 5,
            }
            queue.put("segment", key, body, now, object_key=key)
            segments += 1
            if (second + 7 * i) % CYCLE_S < SEGMENT_S:  # this camera's incident of the minute
                snaps, recs = _incident(queue, store, cam, now, snap_file)
                snap_file = snap_file or store.root / SNAPSHOTS / snaps
                snapshots += 1
                records += recs
        if second % HEARTBEAT_S == 0:
            beat = {"edge_id": "site0", "timestamp": now.isoformat(), "stream_count": 8,
                    "disk_free": 500 << 30, "mem_usage": 40.0}  # fmt: skip
            queue.put("heartbeat", f"site0@{now.isoformat()}", beat, now)
            records += 1
    return Backlog(minutes, segments, segment_bytes, records, snapshots)


def _incident(
    queue: UplinkQueue, store: FsObjectStore, cam: str, now: datetime, snap_file: Path | None
) -> tuple[str, int]:
    """Queue one incident's snapshot, event and alert; returns (snapshot key, records)."""
    event_id, alert_id = uuid.uuid4(), uuid.uuid4()
    snap_key = f"{cam}/{now:%Y/%m/%d}/{event_id}.jpg"
    _file(store.root / SNAPSHOTS / snap_key, SNAPSHOT_BYTES, snap_file)
    queue.put("snapshot", snap_key, {"camera_id": cam, "key": snap_key}, now, object_key=snap_key)
    at = now.isoformat()
    event: dict[str, Any] = {
        "id": str(event_id), "occurred_at": at, "camera_id": cam, "type": "zone_intrusion",
        "severity": "high", "rule_id": "intrusion", "zone_id": "yard", "track_id": 7,
        "confidence": 0.8, "bbox": [0.4, 0.55, 0.5, 0.95], "snapshot_key": snap_key,
        "data": {"zone_name": "Yard"}, "created_at": at,
    }  # fmt: skip
    alert: dict[str, Any] = {
        "id": str(alert_id), "event_id": str(event_id), "camera_id": cam,
        "rule_id": "intrusion", "type": "zone_intrusion", "severity": "high", "status": "new",
        "title": f"Person in the yard on {cam}", "incident_key": f"intrusion:{cam}:{at}",
        "created_at": at, "updated_at": at, "snapshot_key": snap_key, "data": {},
    }  # fmt: skip
    queue.put("event", str(event_id), event, now)
    queue.put("alert", str(alert_id), alert, now)
    return snap_key, 2


async def drain(hub: HubSide, work: Path, minutes: int, segment_bytes: int) -> Drain:
    """Build the backlog, then time the edge's uplink sending all of it to `hub`."""
    clock = SystemClock()
    store = FsObjectStore(work / "edge-objects")
    config = UplinkConfig(
        hub_url=hub.url, api_key=hub.edge_key, ca_file=hub.cert,
        queue_path=work / "uplink-queue.sqlite3", max_items=1_000_000, max_bytes=1 << 30,
        backoff_initial_s=0.2, backoff_max_s=2.0,
    )  # fmt: skip
    queue = UplinkQueue(config.queue_path, max_items=config.max_items, max_bytes=config.max_bytes)
    start = clock.now() - timedelta(minutes=minutes)
    progress(f"  queueing {minutes} min of one site's uplink…")
    backlog = build_backlog(queue, store, start, minutes, segment_bytes)
    queue.close()
    db = Database(hub.database_url)
    uplink = Uplink(config, edge_id="site0", bus=MemoryBus(clock), db=db, store=store, clock=clock)
    await uplink.open()
    site0 = "camera_id LIKE 'site0-%'"
    before = [hub.count(t, site0) for t in ("segments", "events", "alerts")]
    retries = 0
    try:
        progress(f"  draining {uplink.depth} queued items into the hub…")
        t0 = time.monotonic()
        while True:
            try:
                if await uplink.send_once() == 0:
                    break
            except UplinkSendError as err:
                retries += 1
                progress(f"  uplink: {err}; retrying")
                if retries > 50:
                    raise
                await asyncio.sleep(0.2)
        drain_s = time.monotonic() - t0
    finally:
        await uplink.stop()
        db.dispose()
    after = [hub.count(t, site0) for t in ("segments", "events", "alerts")]
    segments, events, alerts = (a - b for a, b in zip(after, before, strict=True))
    return Drain(backlog, round(drain_s, 1), retries, segments, events, alerts)
