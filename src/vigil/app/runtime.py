"""The one place that starts and stops every Vigil process, in order: the composition root.

`STAGES` lists every stage in start order with the roles that run it; `ROLES` is what each
role runs: `vigil up` ("all"), `vigil edge`, `vigil hub`, and `vigil worker --role
analytics|notify|inference` (one stage of a cluster). `Vigil(config, options)` starts its
role's stages on the embedded defaults (embedded PostgreSQL, in-process bus, local object
store) unless the environment names the cluster's engines: edge workers -> detection ->
analytics -> alerts -> API. `stop()` undoes `start()` in reverse, whatever failed half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

import uvicorn

from vigil.alerts.clips import ClipMaker
from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.service import AlertService
from vigil.analytics.catalog import RuleCatalog
from vigil.analytics.reload import RuleReloader
from vigil.analytics.rulebook import Effective
from vigil.analytics.service import AnalyticsService
from vigil.api.app import create_app, server_config
from vigil.api.deps import ApiServices
from vigil.api.ws import AlertHub
from vigil.app.cameras import start_cameras
from vigil.app.stages import (
    StageContext,
    Started,
    load_site_detector,
    start_analytics,
    start_inference,
    start_notify,
)
from vigil.app.wiring import build_api_services, register_cluster_health
from vigil.app.workers import health_app, require_cluster
from vigil.auth.security import KeyManager
from vigil.bus import Bus
from vigil.bus.select import bus_for, kafka_bootstrap, prepare
from vigil.clock import Clock, SystemClock
from vigil.config import SiteConfig
from vigil.db.embedded import EmbeddedPostgres
from vigil.db.migrate import upgrade
from vigil.db.partitions import ensure_event_partitions
from vigil.db.session import Database, database_health
from vigil.edge.camera_catalog import CameraCatalog, CameraSecrets
from vigil.edge.camera_health import CameraHealthMonitor, HealthSettings
from vigil.edge.disk import DiskWatch
from vigil.edge.heartbeat import HeartbeatPublisher
from vigil.edge.index import EdgeIndexer, sync_cameras
from vigil.edge.pool import CameraHandle
from vigil.edge.retention import RetentionSweeper
from vigil.edge.uplink import Uplink
from vigil.errors import ConfigError
from vigil.hub.edge_state import DbEdgeState
from vigil.hub.fanout import RedisFanout, masked_redis_url, redis_url
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.media.live import LiveView
from vigil.media.video import MediaServices
from vigil.model.messages import CameraState
from vigil.ops.health import ComponentHealth, HealthRegistry, camera_health
from vigil.ops.progress import NO_STEPS, Steps
from vigil.ops.serve import QuietServer
from vigil.ops.tasks import cancel_and_wait
from vigil.storage import ObjectStore
from vigil.storage.select import lifecycle_tiers, object_store_for, uses_s3
from vigil.vision.detectors.base import Detector
from vigil.vision.worker import DetectionWorker

log = logging.getLogger(__name__)
_HOUSEKEEPING_S = 15.0


# Which processes run which stages. A site role serves the API; a worker role (`vigil worker
# --role ...`) runs one stage of a cluster against the hub's database and Kafka.
SiteRole = Literal["all", "edge", "hub"]
WorkerRole = Literal["analytics", "notify", "inference"]
Role = SiteRole | WorkerRole
_SITE: Final[frozenset[str]] = frozenset({"all", "edge", "hub"})  # serve the API
_CAMERAS: Final[frozenset[str]] = frozenset({"all", "edge"})  # a hub's edges have the cameras
WORKER_ROLES: Final[tuple[str, ...]] = get_args(WorkerRole)
_WORKERS: Final[frozenset[str]] = frozenset(WORKER_ROLES)


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    admin_password: str | None = None
    start_cameras: bool = True
    secure_cookies: bool = False
    # "all": one box (`vigil up`); "edge": all of that plus the uplink to a hub; "hub": the API,
    # alerts and notifications for many edges, with no cameras or detection of its own; a
    # worker role: that one stage of a cluster (health and metrics on `port`).
    role: Role = "all"
    tls_cert: Path | None = None  # PEM; with tls_key the API is served over HTTPS
    tls_key: Path | None = None
    steps: Steps = NO_STEPS  # one-off start-up work shown on a terminal (database, models)


class Vigil:
    """A Vigil process of any role: the stages of `STAGES` that its role runs, started in that
    order (consumers before the publishers that feed them) and stopped in reverse, whatever
    failed half-way."""

    def __init__(self, config: SiteConfig, options: RuntimeOptions, clock: Clock | None = None):
        if options.role == "edge" and config.uplink is None:
            raise ConfigError(
                f"site {config.site.id!r}",
                [("uplink", "missing: an edge sends to a hub; add uplink.hub_url and api_key")],
            )
        if options.role in _WORKERS:
            require_cluster(options.database_url)
        self.config = config
        self.options = options
        self.role: Role = options.role
        self.clock = clock or SystemClock()
        # Kafka when VIGIL_KAFKA_BOOTSTRAP is set, else the in-process bus.
        self.bus: Bus = bus_for(config.site.id, options.role, self.clock)
        self.health = HealthRegistry()
        self.generated_admin_password: str | None = None
        self.db: Database | None = None
        self.cameras: dict[str, CameraHandle] = {}
        self.camera_catalog: CameraCatalog | None = None
        self.detection: DetectionWorker | None = None
        self.analytics: AnalyticsService | None = None
        self.rules: RuleReloader | None = None
        self.indexer: EdgeIndexer | None = None
        self.media: MediaServices | None = None  # the API's video (WebRTC relay, exports)
        self._started = Started()
        self._server: uvicorn.Server | None = None
        self._bound_port: int | None = None
        # Built by one stage, used by later ones.
        self._data = options.data_dir.resolve()
        self._store: ObjectStore | None = None
        self._keys: KeyManager | None = None
        self._detector: Detector | None = None
        self._live: LiveView | None = None
        self._fanout_to: RedisFanout | None = None
        self._hub: AlertHub | None = None
        self._beats: HeartbeatMonitor | None = None
        self._alerts: AlertService | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.options.host in ("0.0.0.0", "::") else self.options.host
        scheme = "https" if self.options.tls_cert else "http"
        return f"{scheme}://{host}:{self._bound_port or self.options.port}"

    @property
    def bound_port(self) -> int | None:
        """The port the API (or a worker's health server) listens on, once started."""
        return self._bound_port

    async def start(self) -> None:
        try:
            for name in ROLES[self.role]:
                await _STAGE_START[name](self)
        except BaseException:
            await self.stop()
            raise
        self.health.started = True
        if self.role in _WORKERS:
            log.info("worker %s of site %s is up", self.role, self.config.site.id)
        else:
            log.info("Vigil is up at %s with %d camera(s)", self.url, len(self.cameras))

    def _ctx(self) -> StageContext:
        assert self.db is not None and self._store is not None
        return StageContext(
            self.config, self.db, self.bus, self._store, self.clock, self.health, self._started
        )

    # The stages, in the order they start; `STAGES` below says which roles run each.

    async def _health_server(self) -> None:
        """A worker's /health and /metrics, first: /health/live answers while it starts."""
        server = QuietServer(
            uvicorn.Config(
                health_app(self.health), host=self.options.host, port=self.options.port,
                log_config=None, lifespan="off",
            )
        )  # fmt: skip
        await self._serve(server, "health server")

    async def _database(self) -> None:
        self._data.mkdir(parents=True, exist_ok=True)
        url = await self._start_database(self._data)
        with self.options.steps.step("Applying database migrations"):
            await asyncio.to_thread(upgrade, url)  # a worker's: a no-op once the hub migrated
        db = self.db = Database(url)
        self._started.add("database pool", lambda: asyncio.to_thread(db.dispose))
        if self.role in _WORKERS:
            self.health.register("database", lambda: database_health(db))
        else:
            await asyncio.to_thread(self._prepare_database, db)

    async def _object_store(self) -> None:
        # S3 when VIGIL_S3_ENDPOINT is set (not on an edge: it keeps its own ring buffer).
        self._store = await asyncio.to_thread(
            object_store_for, self.role, self._data,
            tiers=lifecycle_tiers(self.config.storage),
        )  # fmt: skip
        if self.role in _SITE:
            (self._data / "objects").mkdir(exist_ok=True)  # the disk watch's disk, even with S3

    async def _camera_catalog(self) -> None:
        assert self.db is not None
        keys = self._keys = KeyManager(self._data / "keys", self.clock)
        await asyncio.to_thread(keys.load_or_create)
        # site.yaml's cameras plus those added through the API, before anything reads them.
        cameras = self.camera_catalog = CameraCatalog(
            self.db, self.config, self.clock, CameraSecrets(keys.keys_dir)
        )
        await asyncio.to_thread(cameras.load)
        if self.role == "hub":
            cameras.refuse_changes_on_hub()

    async def _bus(self) -> None:
        await self.bus.start()
        self._started.add("bus", self.bus.stop)
        await prepare(self.bus)  # the Kafka topics

    async def _load_detector(self) -> None:
        with self.options.steps.step("Loading the detection model"):
            self._detector = await load_site_detector(self.config)

    async def _live_and_alert_hub(self) -> None:
        """What the API pushes: each camera's latest picture, and alerts to WebSocket clients."""
        live = self._live = LiveView(self.bus)
        self._fanout_to = self._fanout()
        hub = self._hub = AlertHub(self.bus, self._fanout_to)
        for name, component in (("live view", live), ("alert hub", hub)):
            await component.start()
            self._started.add(name, component.stop)

    async def _indexer(self) -> None:
        assert self.db is not None
        self.indexer = EdgeIndexer(self.bus, self.db)
        await self.indexer.start()
        self._started.add("indexer", self.indexer.stop)

    async def _analytics(self) -> None:
        if self.role in _WORKERS:
            self.rules, self.analytics = await start_analytics(self._ctx())
            return
        assert self.db is not None and self.camera_catalog is not None
        # site.yaml's rules plus those made through the API, reloaded when the API changes them.
        catalog = RuleCatalog(self.db, self.config, self.clock)
        cameras = self.camera_catalog

        def effective_rules() -> Effective:
            cameras.load()  # first: rules and zones may name cameras added through the API
            return catalog.effective()

        self.rules, self.analytics = await start_analytics(self._ctx(), effective_rules)

    async def _disk_watch(self) -> None:
        """After analytics, which records its alerts: the recordings disk, full or read-only.
        It alerts at half the retention floor: above that, retention keeps up on its own."""
        objects = self._data / "objects"
        disk = DiskWatch(
            objects,
            self.bus,
            self.clock,
            edge_id=self.config.site.id,
            min_free_bytes=int(
                shutil.disk_usage(objects).total  # the recordings disk, maybe its own
                * self.config.recording.min_free_percent
                / 200
            ),
        )
        await disk.start()
        self._started.add("disk watch", disk.stop)

    async def _camera_health(self) -> None:
        camera_health = CameraHealthMonitor(
            self.bus,
            self.clock,
            HealthSettings(frozen_after_s=self.config.camera_health.frozen_after_s),
            masks={c.id: c.motion_masks for c in self.config.cameras if c.motion_masks},
        )
        await camera_health.start()
        self._started.add("camera health", camera_health.stop)

    async def _heartbeat_monitor(self) -> None:
        """One box is its own hub: it publishes its heartbeat and watches it (a hub watches
        many). A hub keeps its edges in the database, shared by its replicas; one box in
        memory. It writes the edges' OFFLINE/ONLINE alerts itself: they must not wait on
        analytics."""
        assert self.db is not None and self._store is not None
        beats = self._beats = HeartbeatMonitor(
            self.bus,
            self.clock,
            state=DbEdgeState(self.db) if self.role == "hub" else None,
            writer=IncidentRecorder(self.db, self._store, self.bus, self.clock),
        )
        await beats.start()
        self._started.add("heartbeat monitor", beats.stop)

    async def _uplink(self) -> None:
        """The edge's store-and-forward link to its hub (before the publishers it forwards);
        its queue file under the data directory."""
        assert self.db is not None and self._store is not None
        config = self.config.uplink
        assert config is not None  # checked in __init__
        config = config.model_copy(update={"queue_path": self._data / config.queue_path})
        uplink = Uplink(
            config, edge_id=self.config.site.id, bus=self.bus, db=self.db, store=self._store,
            clock=self.clock, health=self.health,
        )  # fmt: skip
        await uplink.start()
        self._started.add("uplink", uplink.stop)

    async def _heartbeat(self) -> None:
        heartbeat = HeartbeatPublisher(
            self.bus,
            self.clock,
            edge_id=self.config.site.id,
            streams_online=lambda: sum(
                1 for w in self.cameras.values() if w.status.state is CameraState.ONLINE
            ),
            disk_dir=self._data,
        )
        await heartbeat.start()
        self._started.add("heartbeat", heartbeat.stop)

    async def _notify(self) -> None:
        await start_notify(self._ctx())

    async def _event_clips(self) -> None:
        assert self.db is not None and self._store is not None
        clips = ClipMaker(self.db, self._store, self.bus, self.clock)
        await clips.start()
        self._started.add("event clips", clips.stop)

    async def _inference(self) -> None:
        if self._detector is None:  # a worker loads it here; a site did before its consumers
            self._detector = await load_site_detector(self.config)
        with self.options.steps.step("Starting detection (face models, tracker)"):
            self.detection = await start_inference(self._ctx(), self._detector)

    async def _api(self) -> None:
        """The API's services, the first admin, /health/ready's checks, the HTTP server."""
        assert self.db is not None and self._store is not None and self._keys is not None
        assert self._hub is not None
        db = self.db
        alerts = self._alerts = AlertService(db, self.bus, self.clock)
        services = build_api_services(
            config=self.config, db=db, clock=self.clock, bus=self.bus, store=self._store,
            keys=self._keys, health=self.health, live=self._live, edges=self._beats,
            alerts=alerts, cameras=self.camera_catalog,
            secure_cookies=self.options.secure_cookies, live_dir=self._data / "live",
        )  # fmt: skip
        self.media = services.media
        if services.media is not None:  # WebRTC peers and exports in progress
            self._started.add("video", services.media.close)
        if services.training is not None:  # running training jobs end as cancelled
            self._started.add("training jobs", services.training.stop)
        self.generated_admin_password = await asyncio.to_thread(
            services.users.ensure_admin, self.options.admin_password
        )
        self._register_health(db, self._data, self._fanout_to)
        await self._start_server(services, self._hub)

    async def _camera_workers(self) -> None:
        if self.options.start_cameras:
            assert self._store is not None and self.camera_catalog is not None
            await start_cameras(
                self.config, self.bus, self.clock, self._store,
                staging=self._data / "staging", live_root=self._data / "live",
                catalog=self.camera_catalog, handles=self.cameras, started=self._started,
            )  # fmt: skip

    async def _retention(self) -> None:
        assert self.db is not None and self._store is not None
        retention = RetentionSweeper(
            self.db,
            self._store,
            self.clock,
            retain_days=self.config.recording.retain_days,
            # On S3 the local disk holds no recordings: only their age counts.
            min_free_percent=0.0 if uses_s3(self.role) else self.config.recording.min_free_percent,
            disk_dir=self._data / "objects",
        )
        sweeping = asyncio.create_task(retention.run(), name="retention")
        self._started.add("retention", lambda: cancel_and_wait([sweeping]))

    async def _start_housekeeping(self) -> None:
        assert self.db is not None and self._alerts is not None
        task = asyncio.create_task(self._housekeeping(self.db, self._alerts), name="housekeeping")
        self._started.add("housekeeping", lambda: cancel_and_wait([task]))

    def _fanout(self) -> RedisFanout | None:
        """Alerts through Redis to every API replica's WebSocket clients, when Redis is set."""
        url = redis_url(self.config.security)
        if url is None:
            if self.options.role == "hub" and kafka_bootstrap() is not None:
                log.warning(
                    "no VIGIL_REDIS_URL: with several hub replicas, each alert reaches the "
                    "WebSocket clients of one replica only"
                )
            return None
        log.info("alert fan-out and rate limits on Redis at %s", masked_redis_url(url))
        return RedisFanout(url, channel=f"vigil:{self.config.site.id}:alerts")

    async def _start_database(self, data: Path) -> str:
        if self.options.database_url:
            log.info("using the database at VIGIL_DATABASE_URL")
            return self.options.database_url
        pg = EmbeddedPostgres(data / "pg")
        first = not (data / "pg" / "PG_VERSION").exists()
        doing = "Creating the database (first run)" if first else "Starting the database"
        with self.options.steps.step(f"{doing}: embedded PostgreSQL"):
            url = await asyncio.to_thread(pg.start)
        self._started.add("embedded PostgreSQL", lambda: asyncio.to_thread(pg.stop))
        return url

    def _prepare_database(self, db: Database) -> None:
        with db.session() as session:
            ensure_event_partitions(session, self.clock.now())
            session.commit()
        sync_cameras(db, self.config, self.clock)
        RuleCatalog(db, self.config, self.clock).sync_from_config()  # the file wins

    async def _start_server(self, services: ApiServices, hub: AlertHub) -> None:
        app = create_app(services, hub)
        server = QuietServer(
            server_config(
                app,
                host=self.options.host,
                port=self.options.port,
                log_config=None,
                lifespan="off",
                ws_ping_interval=20,
                ws_ping_timeout=20,
                # On stop, requests still running after 5 s are cancelled (an edge's upload
                # whose link died mid-body would otherwise hold the shutdown).
                timeout_graceful_shutdown=5,
                ssl_certfile=self.options.tls_cert,
                ssl_keyfile=self.options.tls_key,
            )
        )
        await self._serve(server, "HTTP server")

    async def _serve(self, server: uvicorn.Server, name: str) -> None:
        """Start `server`; once it listens, its port is `bound_port`; stopped with the rest."""
        task = asyncio.create_task(server.serve(), name=name)
        while not server.started:
            if task.done():
                task.result()  # raises why the server could not start
                raise RuntimeError(
                    f"the {name} on {self.options.host}:{self.options.port} stopped during start-up"
                )
            await asyncio.sleep(0.05)
        self._server = server
        self._bound_port = server.servers[0].sockets[0].getsockname()[1]

        async def stop_server() -> None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 10)

        self._started.add(name, stop_server)

    def _register_health(self, db: Database, data: Path, fanout: RedisFanout | None) -> None:
        def cameras() -> ComponentHealth:
            return camera_health(
                {cid: w.status.state == CameraState.ONLINE for cid, w in self.cameras.items()}
            )

        def detection() -> ComponentHealth:
            det = self.detection
            if det is None:
                return ComponentHealth("down", "not started")
            return det.health()

        def disk() -> ComponentHealth:
            usage = shutil.disk_usage(data / "objects")
            free_pct = 100.0 * usage.free / usage.total
            floor = self.config.recording.min_free_percent
            detail = f"{usage.free / 2**30:.1f} GiB free ({free_pct:.0f}%)"
            return ComponentHealth("ok" if free_pct >= floor else "degraded", detail)

        checks = [
            ("database", lambda: database_health(db)),
            ("cameras", cameras),
            ("detection", detection),
        ]
        if self.options.role == "hub":  # its edges report their cameras and detection
            checks = checks[:1]
        for name, check in (*checks, ("disk", disk)):
            self.health.register(name, check)
        register_cluster_health(self.health, self.bus, fanout)

    async def _housekeeping(self, db: Database, alerts: AlertService) -> None:
        while True:
            try:
                await alerts.refresh_gauges()
                await asyncio.to_thread(self._prepare_partitions, db)
            except Exception:
                log.exception("housekeeping failed; retrying in %.0f s", _HOUSEKEEPING_S)
            await self.clock.sleep(_HOUSEKEEPING_S)

    def _prepare_partitions(self, db: Database) -> None:
        with db.session() as session:
            ensure_event_partitions(session, self.clock.now())
            session.commit()

    async def stop(self) -> None:
        self.health.started = False
        await self._started.stop_all()
        log.info("Vigil stopped")


# Every stage of a Vigil process, in start order, with the roles that run it.
STAGES: Final[tuple[tuple[str, frozenset[str], Callable[[Vigil], Awaitable[None]]], ...]] = (
    ("health server", _WORKERS, Vigil._health_server),
    ("database", _SITE | _WORKERS, Vigil._database),
    ("object store", _SITE | _WORKERS, Vigil._object_store),
    ("camera catalog", _SITE, Vigil._camera_catalog),
    ("bus", _SITE | _WORKERS, Vigil._bus),
    ("detector", _CAMERAS, Vigil._load_detector),
    ("live view and alert hub", _SITE, Vigil._live_and_alert_hub),
    ("recording index", _SITE, Vigil._indexer),
    ("analytics", _SITE | {"analytics"}, Vigil._analytics),
    ("disk watch", _SITE, Vigil._disk_watch),
    ("camera health", _CAMERAS, Vigil._camera_health),
    ("heartbeat monitor", _SITE, Vigil._heartbeat_monitor),
    ("uplink", frozenset({"edge"}), Vigil._uplink),
    ("heartbeat", _CAMERAS, Vigil._heartbeat),
    ("notify", _SITE | {"notify"}, Vigil._notify),
    ("event clips", _SITE, Vigil._event_clips),
    ("inference", _CAMERAS | {"inference"}, Vigil._inference),
    ("api", _SITE, Vigil._api),
    ("cameras", _CAMERAS, Vigil._camera_workers),
    ("retention", _SITE, Vigil._retention),
    ("housekeeping", _SITE, Vigil._start_housekeeping),
)
_STAGE_START: Final = {name: start for name, _, start in STAGES}
# What each role runs, in order: `vigil up` is "all", `vigil worker --role notify` is "notify".
ROLES: Final[dict[str, tuple[str, ...]]] = {
    role: tuple(name for name, roles, _ in STAGES if role in roles)
    for role in (*get_args(SiteRole), *get_args(WorkerRole))
}
