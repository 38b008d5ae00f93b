"""Health checks: each component reports ok / degraded / down with a reason a person can act on."""

from __future__ import annotations

from collections.abc import Callable
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
        overall: Status = "ok"
        for result in results.values():
            if _ORDER[result.status] > _ORDER[overall]:
                overall = result.status
        return overall, results


def database_health(db: Database) -> ComponentHealth:
    """One `SELECT 1`: down (with the error's type, never its text: it may hold the URL)."""
    from sqlalchemy import text

    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:
        return ComponentHealth("down", f"database unreachable: {type(err).__name__}")
    return ComponentHealth("ok")
