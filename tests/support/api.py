"""An API over a real database, with a fake clock, for API tests (no cameras, no server)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vigil.alerts.incidents import IncidentRecorder
from vigil.analytics.catalog import RuleCatalog
from vigil.api.app import create_app
from vigil.api.deps import ApiServices
from vigil.api.ratelimit import RateLimitConfig
from vigil.api.ws import AlertHub
from vigil.app.demo import demo_config
from vigil.app.wiring import build_api_services
from vigil.auth.security import KeyManager
from vigil.auth.users import UserService
from vigil.bus import MemoryBus
from vigil.clock import FakeClock
from vigil.config import SiteConfig
from vigil.db.session import Database
from vigil.edge.index import sync_cameras
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.model.messages import AlertRequest
from vigil.ops.health import HealthRegistry
from vigil.storage import FsObjectStore

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
PASSWORDS = {"admin": "admin-password", "olga": "operator-password", "victor": "viewer-password"}
CSRF = {"X-Requested-With": "vigil"}
# What no answer may hold: an absolute path of the server (two or more parts that are not an
# API route) or a library version written the way libraries write them ("OpenCV(4.14.0)").
LEAK = re.compile(r"(?<![\w.~:/-])/(?!api/|ws/|health/)[\w.~+-][^\s\"'/]*/|\w\(\d+\.\d+|==\d+\.\d+")


def assert_no_leak(response: httpx.Response) -> None:
    """The answer holds no server path and no library version (vigil.errors.public_text)."""
    found = LEAK.search(response.text)
    assert found is None, f"{response.request.url} leaks {found.group(0)!r}: {response.text}"


@dataclass
class Api:
    client: TestClient
    db: Database
    recorder: IncidentRecorder
    clock: FakeClock
    services: ApiServices
    app: FastAPI

    def login(
        self, username: str, password: str | None = None, otp: str | None = None
    ) -> dict[str, str]:
        body = {"username": username, "password": password or PASSWORDS[username]}
        if otp:
            body["otp"] = otp
        r = self.client.post("/api/v1/auth/login", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def raise_offline_alert(self, camera: str, key: str) -> None:
        """A `camera_offline` alert on `camera` (incident `key`), through the real recorder."""
        request = AlertRequest(
            key=key,
            camera_id=camera,
            type="camera_offline",
            severity="high",
            title=f"{camera} offline",
            occurred_at=NOW,
        )
        asyncio.run(self.recorder.raise_alert(request))


@contextmanager
def api_for_tests(
    db: Database,
    tmp_path: Path,
    rate_limits: RateLimitConfig | None = None,
    require_admin_mfa: bool = False,
    config: SiteConfig | None = None,
) -> Iterator[Api]:
    """Users: admin (admin), olga (operator), victor (viewer); cameras: gate, perimeter-north."""
    clock = FakeClock(NOW)
    config = config or demo_config(8554, "pw", channels=2)
    bus = MemoryBus(clock)
    keys = KeyManager(tmp_path / "keys", clock)
    keys.load_or_create()
    store = FsObjectStore(tmp_path / "objects")
    users = UserService(db, clock)
    users.ensure_admin(PASSWORDS["admin"])
    users.create("olga", PASSWORDS["olga"], "operator")
    users.create("victor", PASSWORDS["victor"], "viewer")
    sync_cameras(db, config, clock)
    RuleCatalog(db, config, clock).sync_from_config()  # site.yaml's zones and rules
    health = HealthRegistry()
    health.started = True
    services = build_api_services(
        config=config, db=db, clock=clock, bus=bus, store=store, keys=keys, health=health,
        edges=HeartbeatMonitor(bus, clock), rate_limits=rate_limits or RateLimitConfig(),
        require_admin_mfa=require_admin_mfa,
    )  # fmt: skip
    hub = AlertHub(bus)
    app = create_app(services, hub)
    with TestClient(app) as client:
        # The hub subscribes on the app's event loop, as the runtime does before serving.
        assert client.portal is not None
        client.portal.call(hub.start)
        yield Api(client, db, IncidentRecorder(db, store, bus, clock), clock, services, app)
