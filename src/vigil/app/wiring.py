"""Build the API's services from the site's engines: one place, used by the runtime, the
benchmarks and the tests, so they all run the API exactly as a site does."""

from __future__ import annotations

import sys
from pathlib import Path

from vigil.alerts.events import EventQueries
from vigil.alerts.reports import ReportService
from vigil.alerts.service import AlertService
from vigil.analytics.catalog import RuleCatalog
from vigil.api.deps import ApiServices
from vigil.api.ratelimit import RateLimitConfig
from vigil.auth.api_keys import ApiKeyService
from vigil.auth.audit import AuditService
from vigil.auth.security import KeyManager
from vigil.auth.sessions import SessionService
from vigil.auth.users import UserService
from vigil.bus import Bus
from vigil.clock import Clock
from vigil.config import SecurityConfig, SiteConfig
from vigil.db.session import Database
from vigil.edge.camera_catalog import CameraCatalog, CameraSecrets
from vigil.edge.integrity import RecordingQueries
from vigil.faces.persons import PersonService
from vigil.faces.search import FaceSearch
from vigil.faces.watchlists import WatchlistService
from vigil.hub.fanout import RedisFanout, redis_url
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.hub.ingest import IngestService
from vigil.media.live import LiveView
from vigil.media.video import MediaServices
from vigil.ops.health import HealthRegistry
from vigil.storage import ObjectStore
from vigil.training.jobs import site_training_jobs


def rate_limits_of(security: SecurityConfig) -> RateLimitConfig:
    return RateLimitConfig(
        anonymous_per_minute=security.anonymous_requests_per_minute,
        api_key_per_minute=security.api_key_requests_per_minute,
        ingest_per_minute=security.uplink_requests_per_minute,
        user_per_minute=security.session_requests_per_minute,
        storage_uri=redis_url(security),  # VIGIL_REDIS_URL or security.redis_url: shared
    )


def build_api_services(
    *,
    config: SiteConfig,
    db: Database,
    clock: Clock,
    bus: Bus,
    store: ObjectStore,
    keys: KeyManager,
    health: HealthRegistry,
    live: LiveView | None = None,
    edges: HeartbeatMonitor | None = None,
    alerts: AlertService | None = None,
    rate_limits: RateLimitConfig | None = None,
    live_dir: Path | None = None,
    require_admin_mfa: bool | None = None,
    secure_cookies: bool = False,
    cameras: CameraCatalog | None = None,
) -> ApiServices:
    """Everything `create_app` needs. Unset options come from `config` (security section)."""
    mfa = config.security.require_admin_mfa if require_admin_mfa is None else require_admin_mfa
    return ApiServices(
        config=config,
        clock=clock,
        bus=bus,
        store=store,
        keys=keys,
        users=UserService(db, clock),
        alerts=alerts or AlertService(db, bus, clock),
        events=EventQueries(db),
        audit=AuditService(db, clock),
        live=live or LiveView(bus),
        health=health,
        sessions=SessionService(db, keys, clock, require_admin_mfa=mfa),
        api_keys=ApiKeyService(db, clock),
        reports=ReportService(db),
        recordings=RecordingQueries(db, clock),
        faces=FaceSearch(db),  # face models load on the first photo search
        persons=PersonService(db, store, clock),
        watchlists=WatchlistService(db),
        training=site_training_jobs(config, db, store, clock),
        rules=RuleCatalog(db, config, clock),
        media=MediaServices.build(config, db, store, clock, live_dir=live_dir),
        edges=edges,
        ingest=IngestService(db, bus, store, clock, edges),
        # The runtime passes the catalog its camera workers follow; tests get a fresh one.
        cameras=cameras or CameraCatalog(db, config, clock, CameraSecrets(keys.keys_dir)),
        secure_cookies=secure_cookies,
        rate_limits=rate_limits or rate_limits_of(config.security),
    )


def register_cluster_health(health: HealthRegistry, bus: Bus, fanout: RedisFanout | None) -> None:
    """The cluster's shared dependencies in /health/ready: the Kafka broker ("bus") when the
    bus is Kafka, Redis ("redis") when alerts fan out through it."""
    # A bus can only be a KafkaBus once its module was imported (by bus_for, when Kafka is
    # configured): looking it up this way keeps confluent-kafka, the cluster extra, unimported.
    kafka = sys.modules.get("vigil.bus.kafka")
    if kafka is not None and isinstance(bus, kafka.KafkaBus):
        health.register("bus", bus.health)
    if fanout is not None:
        health.register_async("redis", fanout.health)
