"""`vigil bench alerts`: latency from a person entering a zone to (a) the alert row, (b) the
WebSocket push to a signed-in dashboard, (c) the signed webhook's arrival at a receiver.

The path measured is the one-box process from the detections onward: detections on the bus
(at 1 fps, so a rule needing two frames waits a whole sampling interval), the rule engine,
snapshot + event + alert rows in a real PostgreSQL (embedded, or VIGIL_DATABASE_URL), the
alert on the bus, the API's WebSocket (uvicorn, a real client) and the notifier's webhook (a
local HTTP receiver). Time zero is the capture time of the first frame showing the person.
The detector's own time is measured by `vigil bench vision`. Goal: p99 under 2 s for (b)
and (c) at 1 fps sampling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
import websockets

from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.notify import Notifier
from vigil.alerts.requests import AlertPath
from vigil.analytics.engine import RuleEngine
from vigil.analytics.service import AnalyticsService
from vigil.api.app import create_app, server_config
from vigil.api.ws import AlertHub
from vigil.app.wiring import build_api_services
from vigil.auth.security import KeyManager
from vigil.auth.users import UserService
from vigil.bus import MemoryBus, topics
from vigil.clock import SystemClock
from vigil.config import SiteConfig, parse_config
from vigil.db.embedded import EmbeddedPostgres
from vigil.db.migrate import upgrade
from vigil.db.session import Database
from vigil.edge.index import sync_cameras
from vigil.model.detections import Detection, Detections
from vigil.model.messages import Frame, FrameDetections
from vigil.ops.health import HealthRegistry
from vigil.storage import FsObjectStore

GOAL_P99_S = 2.0
STAGGER_S = 0.1  # one new incident every 100 ms across the cameras
PASSWORD = "bench-admin-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(cameras: int, webhook_url: str) -> SiteConfig:
    zone = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]
    return parse_config(
        {
            "site": {"id": "bench", "name": "Bench"},
            "dvr": {"host": "127.0.0.1", "username": "u", "password": "p", "channels": 128},
            "cameras": [
                {
                    "id": f"cam{i}",
                    "name": f"Camera {i}",
                    "channel": i + 1,
                    "zones": [{"id": "yard", "name": "Yard", "polygon": zone}],
                }
                for i in range(cameras)
            ],
            "rules": [{"id": "intrusion", "name": "Person in the yard"}],
            "alerts": {"channels": {"webhook": {"url": webhook_url, "secret": "bench"}}},
        }
    )


class _Receiver:
    """A webhook receiver on a thread; records arrival times per alert id (wall clock)."""

    def __init__(self, clock: SystemClock) -> None:
        self.arrived: dict[str, datetime] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                alert = json.loads(body).get("alert") or {}
                receiver.arrived.setdefault(alert.get("id", ""), clock.now())
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _until(done: Callable[[], bool], timeout_s: float) -> None:
    """Poll `done` every 50 ms for at most `timeout_s` (a benchmark's patience, not a test)."""
    for _ in range(int(timeout_s / 0.05)):
        if done():
            return
        await asyncio.sleep(0.05)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(incidents: int, data: Path) -> dict[str, Any]:
    clock = SystemClock()
    receiver = _Receiver(clock)
    config = _site(incidents, receiver.url)
    url = os.environ.get("VIGIL_DATABASE_URL")
    pg = None
    if not url:
        pg = EmbeddedPostgres(data / "pg")
        url = await asyncio.to_thread(pg.start)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    sync_cameras(db, config, clock)
    bus = MemoryBus(clock)
    await bus.start()
    store = FsObjectStore(data / "objects")
    keys = KeyManager(data / "keys", clock)
    keys.load_or_create()
    users = UserService(db, clock)
    users.ensure_admin(PASSWORD)
    hub = AlertHub(bus)
    await hub.start()
    recorder = IncidentRecorder(db, store, bus, clock)
    analytics = AnalyticsService(bus, RuleEngine(config), AlertPath(bus, recorder))
    await analytics.start()
    notifier = Notifier(db, bus, clock, config.alerts, config.site.tz, store)
    await notifier.start(digests=False)
    health = HealthRegistry()
    health.started = True
    services = build_api_services(
        config=config, db=db, clock=clock, bus=bus, store=store, keys=keys, health=health,
        require_admin_mfa=False,
    )  # fmt: skip
    port = _free_port()
    server = uvicorn.Server(
        server_config(create_app(services, hub), host="127.0.0.1", port=port, log_level="error")
    )
    serving = asyncio.create_task(server.serve())
    await _until(lambda: server.started, 30)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        r = await client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        r.raise_for_status()
        token = r.json()["access_token"]
    pushed: dict[str, tuple[str, datetime]] = {}  # camera -> (alert id, arrival)
    rows: dict[str, datetime] = {}
    starts: dict[str, datetime] = {}
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/alerts?token={token}") as ws:

        async def listen() -> None:
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "alert.created":
                    alert = msg["alert"]
                    pushed.setdefault(alert["camera_id"], (alert["id"], clock.now()))
                    rows[alert["camera_id"]] = datetime.fromisoformat(alert["created_at"])

        listener = asyncio.create_task(listen())
        image = np.zeros((540, 480, 3), np.uint8)
        person = Detections.from_list([Detection("person", 0.9, (0.45, 0.5, 0.55, 0.9), 1)])

        async def walk_in(i: int) -> None:
            cam = f"cam{i}"
            await asyncio.sleep(i * STAGGER_S)
            for seq in range(2):  # two frames at 1 fps: the rule's min_frames
                if seq:
                    await asyncio.sleep(1.0)
                now = clock.now()
                starts.setdefault(cam, now)
                frame = Frame(cam, now, seq, image)
                bus.publish(
                    topics.DETECTIONS, cam, FrameDetections(cam, now, seq, person, "bench", frame)
                )

        await asyncio.gather(*(walk_in(i) for i in range(incidents)))
        await _until(lambda: len(pushed) >= incidents and len(receiver.arrived) >= incidents, 30)
        listener.cancel()
    await notifier.stop()
    await analytics.stop()
    await hub.stop()
    server.should_exit = True
    await serving
    await bus.stop()
    db.dispose()
    if pg is not None:
        await asyncio.to_thread(pg.stop)
    receiver.close()

    def lat(times: dict[str, datetime]) -> list[float]:
        return [(times[c] - starts[c]).total_seconds() for c in starts if c in times]

    hooks = {
        cam: receiver.arrived[aid] for cam, (aid, _) in pushed.items() if aid in receiver.arrived
    }
    return {
        "row": lat(rows),
        "ws": lat({c: t for c, (_, t) in pushed.items()}),
        "webhook": lat(hooks),
    }


def main(quick: bool, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vigil bench alerts")
    parser.add_argument("--incidents", type=int, default=50 if quick else 100)
    args = parser.parse_args(argv)
    logging.getLogger("vigil").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="vigil-bench-alerts-") as tmp:
        got = asyncio.run(_run(args.incidents, Path(tmp)))
    result: dict[str, Any] = {"bench": "alerts", "incidents": args.incidents}
    print(f"{'path':<10} {'n':>4} {'p50 s':>7} {'p99 s':>7} {'goal p99 s':>11}")
    for name in ("row", "ws", "webhook"):
        values = got[name]
        p50, p99 = statistics.median(values) if values else float("nan"), _pct(values, 0.99)
        goal = f"{GOAL_P99_S:.1f}" if name != "row" else "-"
        print(f"{name:<10} {len(values):>4} {p50:>7.3f} {p99:>7.3f} {goal:>11}")
        result[f"{name}_p50_s"] = round(p50, 3)
        result[f"{name}_p99_s"] = round(p99, 3)
        result[f"{name}_delivered"] = len(values)
    result["goal_p99_s"] = GOAL_P99_S
    print("(time zero: capture of the first frame with the person; 1 fps sampling, 2 frames)")
    print(json.dumps(result))
    ok = all(result[f"{n}_delivered"] == args.incidents for n in ("row", "ws", "webhook"))
    return 0 if ok else 1
