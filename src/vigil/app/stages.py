"""The pipeline stages a worker role can run alone (analytics, notify, inference), built the
same way whether `vigil up` runs them all in one process or `vigil worker --role ...` runs one
(both through `runtime.Vigil` and its table of stages).

Each `start_*` starts its stage's components consumers-first, registers their health checks
and records how to stop them on `started`, which stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vigil.alerts.escalation import EscalationService
from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.notify import Notifier
from vigil.alerts.requests import AlertPath, AlertRequestConsumer
from vigil.analytics.catalog import RuleCatalog
from vigil.analytics.reload import RuleReloader
from vigil.analytics.rulebook import Effective
from vigil.analytics.service import AnalyticsService
from vigil.bus import Bus
from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.db.session import Database
from vigil.ops.health import ComponentHealth, HealthRegistry
from vigil.storage import ObjectStore
from vigil.vision.detectors.base import Detector, load_detector

if TYPE_CHECKING:
    from vigil.vision.worker import DetectionWorker

log = logging.getLogger(__name__)
_SLOW_STOP_S = 5.0  # a stage slower than this to stop is named in the log


@dataclass(slots=True)
class Started:
    """What has been started, so that stop_all() undoes exactly that, in reverse."""

    stoppers: list[tuple[str, Callable[[], Awaitable[None]]]] = field(default_factory=list)

    def add(self, name: str, stop: Callable[[], Awaitable[None]]) -> None:
        self.stoppers.append((name, stop))

    async def stop_all(self) -> None:
        while self.stoppers:
            name, stop = self.stoppers.pop()
            began = time.monotonic()
            try:
                await stop()
            except Exception:
                log.exception("stopping %s failed", name)
            took_s = time.monotonic() - began
            if took_s > _SLOW_STOP_S:
                log.warning("stopping %s took %.1f s", name, took_s)


@dataclass(frozen=True, slots=True)
class StageContext:
    """What every stage is built from."""

    config: SiteConfig
    db: Database
    bus: Bus
    store: ObjectStore
    clock: Clock
    health: HealthRegistry
    started: Started


async def start_analytics(
    ctx: StageContext, effective: Callable[[], Effective] | None = None
) -> tuple[RuleReloader, AnalyticsService]:
    """Detections -> rule engine -> events and alerts; rules reload on `config.changes`.
    `effective` is the rule set to (re)load, site.yaml's plus the database's by default."""
    recorder = IncidentRecorder(ctx.db, ctx.store, ctx.bus, ctx.clock)
    catalog = RuleCatalog(ctx.db, ctx.config, ctx.clock)
    rules = RuleReloader(ctx.bus, effective or catalog.effective, site_id=ctx.config.site.id)
    engine = await rules.load()
    await rules.start()
    ctx.started.add("rules reload", rules.stop)
    ctx.health.register("rules", rules.health)
    path = AlertPath(ctx.bus, recorder)
    analytics = AnalyticsService(ctx.bus, engine, path)
    await analytics.start()
    ctx.started.add("analytics", analytics.stop)
    requests = AlertRequestConsumer(ctx.bus, path)
    await requests.start()
    ctx.started.add("alert requests", requests.stop)
    ctx.health.register(
        "analytics",
        lambda: ComponentHealth(
            "ok", f"{analytics.frames_evaluated} frames, {path.incidents} incidents"
        ),
    )
    return rules, analytics


async def start_notify(ctx: StageContext) -> Notifier:
    """Alerts -> notification channels, and escalation of unacknowledged alerts."""
    cfg = ctx.config
    notifier = Notifier(ctx.db, ctx.bus, ctx.clock, cfg.alerts, cfg.site.tz, ctx.store)
    await notifier.start()
    ctx.started.add("notifier", notifier.stop)
    ctx.health.register("notifications", notifier.health)
    escalation = EscalationService(
        ctx.db, ctx.bus, ctx.clock, cfg.alerts, lambda v: notifier.escalate(v.to_json())
    )
    await escalation.start()
    ctx.started.add("escalation", escalation.stop)
    return notifier


async def load_site_detector(config: SiteConfig) -> Detector:
    """The detector of site.yaml's `detection` section (loading takes seconds: in a thread)."""
    from vigil.vision.settings import detector_floor

    det = config.detection
    load = functools.partial(
        load_detector,
        det.model,
        model_path=det.model_path,
        min_confidence=detector_floor(det),
        threads=det.threads,
    )
    return await asyncio.to_thread(load)


async def start_inference(ctx: StageContext, detector: Detector) -> DetectionWorker:
    """Frames -> detector -> detections, with faces matched against the watchlists.
    (Imported here: analytics and notify workers need none of the vision stack.)"""
    from vigil.vision.settings import (
        camera_masks,
        candidate_sampler,
        face_stage,
        gate_settings,
        tracker_settings,
    )
    from vigil.vision.watchlist import WatchlistMatcher
    from vigil.vision.worker import DetectionWorker

    det = ctx.config.detection
    # Faces stored by the detector are matched against watchlists in the matcher's own task.
    watchlists = WatchlistMatcher(
        ctx.db,
        ctx.bus,
        ctx.clock,
        match_threshold=det.faces.match_threshold,
        clear_after_s=det.faces.watchlist_clear_s,
    )
    await watchlists.start()
    ctx.started.add("watchlists", watchlists.stop)
    faces, on_faces = await asyncio.to_thread(face_stage, det, ctx.db, watchlists.submit)
    n_cams = sum(1 for c in ctx.config.cameras if c.enabled)
    worker = DetectionWorker(
        ctx.bus,
        detector,
        workers=det.workers,
        max_pending=max(4, 2 * n_cams),
        gate=gate_settings(det),
        tracker=tracker_settings(det),
        masks=camera_masks(ctx.config),
        faces=faces,
        on_faces=on_faces,
        candidates=candidate_sampler(det, ctx.store, detector.name),
    )
    await worker.start()
    ctx.started.add("detection", worker.stop)
    ctx.health.register("detection", worker.health)
    return worker
