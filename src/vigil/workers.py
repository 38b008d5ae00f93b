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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final, Literal, get_args

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vigil.alerts.escalation import EscalationService
from vigil.alerts.notify import Notifier
from vigil.analytics.catalog import RuleCatalog
from vigil.analytics.incidents import IncidentRecorder
from vigil.analytics.reload import RuleReloader
from vigil.analytics.service import AnalyticsService
from vigil.bus.select import BOOTSTRAP_ENV, bus_for, kafka_bootstrap, prepare
from vigil.clock import Clock, SystemClock
from vigil.config import SiteConfig
from vigil.db.migrate import upgrade
from vigil.db.session import Database
from vigil.errors import ConfigError
from vigil.ops.health import ComponentHealth, HealthRegistry, database_health
from vigil.ops.serve import QuietServer
from vigil.storage import ObjectStore
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
        self._stoppers: list[tuple[str, Callable[[], Awaitable[None]]]] = []

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
        self._stoppers.append(("database pool", lambda: asyncio.to_thread(db.dispose)))
        self.health.register("database", lambda: database_health(db))
        await self.bus.start()
        self._stoppers.append(("bus", self.bus.stop))
        await prepare(self.bus)
        # S3 when VIGIL_S3_ENDPOINT is set (snapshots, clips, training samples), else local.
        store = await asyncio.to_thread(
            object_store_for, self.role, self.data_dir,
            tiers=lifecycle_tiers(self.config.storage),
        )  # fmt: skip
        if self.role == "analytics":
            await self._start_analytics(db, store)
        elif self.role == "notify":
            await self._start_notify(db, store)
        else:
            await self._start_inference(db, store)
        self.health.started = True
        log.info("worker %s of site %s is up", self.role, self.config.site.id)

    async def _start_analytics(self, db: Database, store: ObjectStore) -> None:
        recorder = IncidentRecorder(db, store, self.bus, self.clock)
        catalog = RuleCatalog(db, self.config, self.clock)
        rules = RuleReloader(self.bus, catalog.effective, site_id=self.config.site.id)
        engine = await rules.load()
        await rules.start()
        self._stoppers.append(("rules reload", rules.stop))
        self.health.register("rules", rules.health)
        analytics = AnalyticsService(self.bus, engine, recorder)
        await analytics.start()
        self._stoppers.append(("analytics", analytics.stop))
        self.health.register(
            "analytics",
            lambda: ComponentHealth(
                "ok", f"{analytics.frames_evaluated} frames, {analytics.incidents} incidents"
            ),
        )

    async def _start_notify(self, db: Database, store: ObjectStore) -> None:
        cfg = self.config
        notifier = Notifier(db, self.bus, self.clock, cfg.alerts, cfg.site.tz, store)
        await notifier.start()
        self._stoppers.append(("notifier", notifier.stop))
        self.health.register("notifications", notifier.health)
        escalation = EscalationService(
            db, self.bus, self.clock, cfg.alerts, lambda v: notifier.escalate(v.to_json())
        )
        await escalation.start()
        self._stoppers.append(("escalation", escalation.stop))

    async def _start_inference(self, db: Database, store: ObjectStore) -> None:
        from vigil.vision.detectors.base import load_detector
        from vigil.vision.settings import (
            camera_masks,
            candidate_sampler,
            detector_floor,
            face_stage,
            gate_settings,
            tracker_settings,
        )
        from vigil.vision.watchlist import WatchlistMatcher
        from vigil.vision.worker import DetectionWorker

        det = self.config.detection
        detector = await asyncio.to_thread(
            load_detector,
            det.model,
            model_path=det.model_path,
            min_confidence=detector_floor(det),
            threads=det.threads,
        )
        watchlists = WatchlistMatcher(
            db,
            self.bus,
            self.clock,
            match_threshold=det.faces.match_threshold,
            clear_after_s=det.faces.watchlist_clear_s,
        )
        await watchlists.start()
        self._stoppers.append(("watchlists", watchlists.stop))
        faces, on_faces = await asyncio.to_thread(face_stage, det, db, watchlists.submit)
        n_cams = sum(1 for c in self.config.cameras if c.enabled)
        worker = DetectionWorker(
            self.bus,
            detector,
            workers=det.workers,
            max_pending=max(4, 2 * n_cams),
            gate=gate_settings(det),
            tracker=tracker_settings(det),
            masks=camera_masks(self.config),
            faces=faces,
            on_faces=on_faces,
            candidates=candidate_sampler(det, store, detector.name),
        )
        await worker.start()
        self._stoppers.append(("detection", worker.stop))
        self.health.register("detection", worker.health)

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

        self._stoppers.append(("health server", stop_server))

    async def stop(self) -> None:
        self.health.started = False
        while self._stoppers:
            name, stop = self._stoppers.pop()
            try:
                await stop()
            except Exception:
                log.exception("stopping %s failed", name)


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
        status, components = health.report()
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
