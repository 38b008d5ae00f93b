"""Worker processes of a cluster: one stage each, scaled out over Kafka consumer groups.

`vigil worker --role analytics|notify|inference` runs only that stage, against the hub's
PostgreSQL (`VIGIL_DATABASE_URL`) and the Kafka bus (`VIGIL_KAFKA_BOOTSTRAP`); both are
required. Objects (snapshots, clips, training samples) go to S3 when `VIGIL_S3_ENDPOINT` is
set (vigil.storage.select), else under the data directory. Workers of one role and site
share one consumer group (`<site id>.<stage>`), so Kafka spreads the topic's partitions
(cameras) over them and moves a dead worker's partitions to the others. Each worker serves
/health/live, /health/ready, /health/startup and /metrics.

- analytics: detections -> rule engine -> events and alerts (IncidentRecorder), plus the
  alert requests of other stages; rules reload live like the hub's.
- notify: alerts -> notification channels, and escalation.
- inference: frames (JPEG over Kafka) -> detector -> detections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Final, Literal, get_args

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vigil.app.stages import (
    StageContext,
    Started,
    load_site_detector,
    start_analytics,
    start_inference,
    start_notify,
)
from vigil.bus.select import BOOTSTRAP_ENV, bus_for, kafka_bootstrap, prepare
from vigil.clock import Clock, SystemClock
from vigil.config import SiteConfig
from vigil.db.migrate import upgrade
from vigil.db.session import Database, database_health
from vigil.errors import ConfigError
from vigil.ops.health import HealthRegistry
from vigil.ops.serve import QuietServer
from vigil.storage.select import lifecycle_tiers, object_store_for

log = logging.getLogger(__name__)

WorkerRole = Literal["analytics", "notify", "inference"]
WORKER_ROLES: Final[tuple[str, ...]] = get_args(WorkerRole)
DATABASE_ENV: Final = "VIGIL_DATABASE_URL"


def require_cluster(database_url: str | None) -> str:
    """The database URL; a clear error when the database or Kafka is not configured."""
    missing = []
    if not database_url:
        missing.append((DATABASE_ENV, "missing: a worker uses the hub's PostgreSQL; set its URL"))
    if kafka_bootstrap() is None:
        missing.append((BOOTSTRAP_ENV, "missing: a worker reads its stage's Kafka topics; "
                                       "set host:port of the brokers"))  # fmt: skip
    if missing:
        raise ConfigError("environment", missing)
    assert database_url is not None
    return database_url


class Worker:
    """One stage of `config`'s site, started in order and stopped in reverse."""

    def __init__(
        self,
        config: SiteConfig,
        role: WorkerRole,
        *,
        data_dir: Path,
        database_url: str | None,
        host: str = "127.0.0.1",
        port: int = 9400,
        clock: Clock | None = None,
    ) -> None:
        self.database_url = require_cluster(database_url)
        self.config = config
        self.role = role
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.clock = clock or SystemClock()
        self.bus = bus_for(config.site.id, role, self.clock)
        self.health = HealthRegistry()
        self.bound_port: int | None = None
        self._started = Started()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        await self._serve_health()  # first: /health/live answers while the stage starts
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(upgrade, self.database_url)  # no-op once the hub migrated
        db = Database(self.database_url)
        self._started.add("database pool", lambda: asyncio.to_thread(db.dispose))
        self.health.register("database", lambda: database_health(db))
        await self.bus.start()
        self._started.add("bus", self.bus.stop)
        await prepare(self.bus)
        # S3 when VIGIL_S3_ENDPOINT is set (snapshots, clips, training samples), else local.
        store = await asyncio.to_thread(
            object_store_for, self.role, self.data_dir,
            tiers=lifecycle_tiers(self.config.storage),
        )  # fmt: skip
        ctx = StageContext(self.config, db, self.bus, store, self.clock, self.health, self._started)
        if self.role == "analytics":
            await start_analytics(ctx)
        elif self.role == "notify":
            await start_notify(ctx)
        else:
            await start_inference(ctx, await load_site_detector(self.config))
        self.health.started = True
        log.info("worker %s of site %s is up", self.role, self.config.site.id)

    async def _serve_health(self) -> None:
        server = QuietServer(
            uvicorn.Config(
                health_app(self.health), host=self.host, port=self.port, log_config=None,
                lifespan="off",
            )
        )  # fmt: skip
        task = asyncio.create_task(server.serve(), name="health-http")
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"the health server on {self.host}:{self.port} stopped")
            await asyncio.sleep(0.05)
        self.bound_port = server.servers[0].sockets[0].getsockname()[1]

        async def stop_server() -> None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 10)

        self._started.add("health server", stop_server)

    async def stop(self) -> None:
        self.health.started = False
        await self._started.stop_all()


def health_app(health: HealthRegistry) -> FastAPI:
    """/health/live, /health/startup, /health/ready and /metrics, as the API serves them."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/startup")
    async def startup() -> JSONResponse:
        ok = health.started
        return JSONResponse({"status": "ok" if ok else "starting"}, 200 if ok else 503)

    @app.get("/health/ready")
    async def ready() -> JSONResponse:
        status, components = await health.report()
        body = {
            "status": status,
            "components": {
                k: {"status": v.status, "detail": v.detail} for k, v in components.items()
            },
        }
        return JSONResponse(body, 503 if status == "down" or not health.started else 200)

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
