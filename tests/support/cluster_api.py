"""The cluster's API alone, served for real (uvicorn) in its own thread and event loop, on
a real database, Kafka bus and Redis: talked to over HTTP and WebSockets like a process.

Built from the same parts as `vigil hub` (build_api_services, create_app, AlertHub with the
Redis fan-out, the database and cluster health checks), without cameras or analytics.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import uvicorn
from websockets.sync.client import ClientConnection, connect

from vigil.api.app import create_app
from vigil.api.ratelimit import RateLimitConfig
from vigil.api.ws import AlertHub
from vigil.app.wiring import build_api_services, register_cluster_health
from vigil.auth.security import KeyManager
from vigil.bus.kafka import KafkaBus
from vigil.clock import SystemClock
from vigil.config import SiteConfig
from vigil.db.session import Database, database_health
from vigil.hub.fanout import RedisFanout
from vigil.ops.health import HealthRegistry
from vigil.storage import FsObjectStore

ADMIN_PASSWORD = "cluster-api-admin-password-1"
START_TIMEOUT_S = 60.0


class ClusterApi:
    def __init__(
        self,
        config: SiteConfig,
        data_dir: Path,
        database_url: str,
        kafka_bootstrap: str,
        redis_url: str,
    ) -> None:
        self._config = config
        self._data_dir = data_dir
        self._database_url = database_url
        self._bootstrap = kafka_bootstrap
        self._redis_url = redis_url
        self.url = ""
        self.token = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._up = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        clock = SystemClock()
        db = Database(self._database_url)
        site_id = self._config.site.id
        bus = KafkaBus(self._bootstrap, clock=clock, client_id=site_id, group_prefix=f"{site_id}.")
        fanout = RedisFanout(self._redis_url, channel=f"vigil:{site_id}:alerts")
        hub = AlertHub(bus, fanout)
        server: uvicorn.Server | None = None
        try:
            keys = KeyManager(self._data_dir / "keys", clock)
            await asyncio.to_thread(keys.load_or_create)
            health = HealthRegistry()
            health.register("database", lambda: database_health(db))
            register_cluster_health(health, bus, fanout)
            services = build_api_services(
                config=self._config, db=db, clock=clock, bus=bus,
                store=FsObjectStore(self._data_dir / "objects"), keys=keys, health=health,
                rate_limits=RateLimitConfig(storage_uri=self._redis_url),
                require_admin_mfa=False,
            )  # fmt: skip
            await asyncio.to_thread(services.users.ensure_admin, ADMIN_PASSWORD)
            await bus.start()
            await hub.start()
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(services, hub), host="127.0.0.1", port=0, log_config=None,
                    lifespan="off", timeout_graceful_shutdown=2,
                )
            )  # fmt: skip
            serving = asyncio.create_task(server.serve())
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.05)
            port = server.servers[0].sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            health.started = True
        except BaseException as err:
            self._error = err
            self._up.set()
            raise
        self._up.set()
        await self._stop.wait()
        server.should_exit = True
        await serving
        await hub.stop()
        await bus.stop()
        await asyncio.to_thread(db.dispose)

    def start(self) -> None:
        self._thread.start()
        assert self._up.wait(START_TIMEOUT_S), "the API did not start"
        if self._error is not None:
            raise self._error
        r = httpx.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        self.token = str(r.json()["access_token"])

    def websocket(self) -> ClientConnection:
        ws_url = self.url.replace("http://", "ws://")
        return connect(f"{ws_url}/ws/alerts?token={self.token}", open_timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
