"""Health checks: each component reports ok / degraded / down with a reason a person can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from vigil.db.session import Database

Status = Literal["ok", "degraded", "down"]
_ORDER: dict[Status, int] = {"ok": 0, "degraded": 1, "down": 2}


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    status: Status
    detail: str | None = None
    # Camera id -> online, for a component about cameras (`camera_health`): lets the API show
    # a user scoped to some cameras the state of those cameras only.
    cameras: Mapping[str, bool] | None = None

    def seen_by(self, can_see: Callable[[str], bool]) -> ComponentHealth:
        """This component as someone who may see only the cameras `can_see` accepts sees it:
        a per-camera component is recomputed over those cameras; any other detail is free text
        that may name any camera, so it is withheld (the status stays)."""
        if self.cameras is None:
            return ComponentHealth(self.status)
        return camera_health({c: ok for c, ok in self.cameras.items() if can_see(c)})


def camera_health(online: Mapping[str, bool]) -> ComponentHealth:
    """Cameras by whether each is online: down when none is, degraded when some are not."""
    if not online:
        return ComponentHealth("ok", "no cameras started", {})
    down = sorted(c for c, ok in online.items() if not ok)
    if not down:
        return ComponentHealth("ok", f"{len(online)} of {len(online)} online", dict(online))
    status: Status = "down" if len(down) == len(online) else "degraded"
    return ComponentHealth(status, f"not online: {', '.join(down)}", dict(online))


def worst(components: Iterable[ComponentHealth]) -> Status:
    """The overall status: that of the worst component (ok when there are none)."""
    overall: Status = "ok"
    for result in components:
        if _ORDER[result.status] > _ORDER[overall]:
            overall = result.status
    return overall


class HealthRegistry:
    """Components register a check; `/health/*` and `/api/v1/system/health` read them."""

    def __init__(self) -> None:
        self._checks: dict[str, Callable[[], ComponentHealth]] = {}
        self.started = False

    def register(self, name: str, check: Callable[[], ComponentHealth]) -> None:
        self._checks[name] = check

    def report(self) -> tuple[Status, dict[str, ComponentHealth]]:
        results: dict[str, ComponentHealth] = {}
        for name, check in self._checks.items():
            try:
                results[name] = check()
            except Exception as err:  # a broken check must not break the health endpoint
                results[name] = ComponentHealth("down", f"health check failed: {err}")
        return worst(results.values()), results


def database_health(db: Database) -> ComponentHealth:
    """One `SELECT 1`: down (with the error's type, never its text: it may hold the URL)."""
    from sqlalchemy import text

    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:
        return ComponentHealth("down", f"database unreachable: {type(err).__name__}")
    return ComponentHealth("ok")
