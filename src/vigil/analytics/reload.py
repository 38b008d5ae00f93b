"""Live reload of the rule engine: zones and rules changed through the API take effect
without a restart.

The API publishes on `config.changes` after each committed change; `RuleReloader` reloads the
effective rule set (site.yaml plus the database's API rows) and swaps it into the engine
between two frames. Unchanged rules keep their per-camera state; a stored rule that no longer
resolves is skipped and named in the `rules` health component, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from vigil.analytics.engine import RuleEngine
from vigil.analytics.rulebook import Effective
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.ops.health import ComponentHealth
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
_RETRY_S = 0.5
_MAX_RETRY_S = 30.0


def change_notice(site_id: str, action: str, resource: str, at: str) -> dict[str, Any]:
    """The value published on `config.changes` (JSON on a cross-process bus)."""
    return {"site_id": site_id, "action": action, "resource": resource, "at": at}


class RuleReloader:
    """Keeps one `RuleEngine` equal to `load()` (see `RuleCatalog.effective`)."""

    def __init__(self, bus: Bus, load: Callable[[], Effective], *, site_id: str) -> None:
        self._bus = bus
        self._load = load
        self._site_id = site_id
        self._tasks: list[asyncio.Task[None]] = []
        self._effective: Effective | None = None
        self._engine: RuleEngine | None = None
        self._last_error: str | None = None
        self.reloads = 0

    async def load(self) -> RuleEngine:
        """The engine for the rule set in force now; later changes are applied to it."""
        effective = await asyncio.to_thread(self._load)
        self._engine = RuleEngine(effective.config)
        self._note(effective)
        return self._engine

    def apply(self, effective: Effective) -> int:
        """Swap `effective` into the engine; returns how many rules were rebuilt."""
        if self._engine is None:
            self._engine = RuleEngine(effective.config)
            fresh = len(self._engine.rules)
        else:
            fresh = self._engine.reload(effective.config)
        self._note(effective)
        self.reloads += 1
        log.info(
            "rules reloaded: %d running, %d rebuilt, %d skipped",
            len(self._engine.rules),
            fresh,
            len(effective.problems) + len(self._engine.skipped),
        )
        return fresh

    async def start(self) -> None:
        # Every engine must hear every notice (a broadcast, not a work queue): in a cluster
        # several analytics workers each run an engine, so each reloader is its own group.
        # Notices from before the start need no replay: `load` read everything then.
        group = f"rules-reload-{uuid.uuid4().hex[:12]}"
        sub = self._bus.subscribe(topics.CONFIG_CHANGES, group)
        self._tasks = [asyncio.create_task(self._run(sub), name="rules-reload")]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    def health(self) -> ComponentHealth:
        engine, effective = self._engine, self._effective
        if engine is None or effective is None:
            return ComponentHealth("down", "rules not loaded")
        detail = (
            f"{len(engine.rules)} rule(s) running ({effective.api_rules} from the API, "
            f"{effective.api_zones} API zone(s))"
        )
        skipped = [*effective.problems, *engine.skipped]
        if self._last_error:
            return ComponentHealth("degraded", f"{detail}; last reload failed: {self._last_error}")
        if skipped:
            return ComponentHealth("degraded", f"{detail}; skipped: {' | '.join(skipped)}")
        return ComponentHealth("ok", detail)

    def _note(self, effective: Effective) -> None:
        self._effective = effective
        self._last_error = None
        for problem in effective.problems:
            log.warning("rules: %s", problem)

    async def _run(self, sub: Subscription) -> None:
        async for message in sub:
            # A burst of notices (a bulk edit, or history replayed to a new group) is one reload.
            batch = [message]
            while (more := await sub.get(timeout_s=0)) is not None:
                batch.append(more)
            if any(m.key == self._site_id for m in batch):  # a cluster topic has other sites
                await self._reload_until_done()
            for m in batch:
                sub.commit(m)

    async def _reload_until_done(self) -> None:
        """Reload; while that fails (database down), the rules in force stay and it retries."""
        wait_s = _RETRY_S
        while True:
            try:
                self.apply(await asyncio.to_thread(self._load))
                return
            except Exception as err:
                log.exception("reloading the rules failed; the previous rules stay in force")
                self._last_error = f"{type(err).__name__}: {err}"[:300]
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, _MAX_RETRY_S)
