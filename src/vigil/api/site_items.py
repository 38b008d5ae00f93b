"""What the zones, rules and notifications routers share: request bodies validated by
site.yaml's own models and worded as `vigil config check` words errors, the catalog, and the
change notice that makes analytics reload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from vigil.analytics.catalog import RuleCatalog
from vigil.analytics.reload import change_notice
from vigil.api.deps import ApiServices, Principal, audit_success
from vigil.bus import topics
from vigil.config import validation_errors
from vigil.errors import VigilError

T = TypeVar("T")

# Bodies: no NaN or infinity (JSON has neither, and the database refuses them in JSONB).
BODY_CONFIG = ConfigDict(allow_inf_nan=False)


class UnavailableError(VigilError):
    status_code = 503


class ConfigWordedRoute(APIRoute):
    """Request errors located and worded as in `vigil config check` (``body.polygon: needs at
    least 3 points``), in the API's error shape: `detail` plus the list `errors`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as err:
                lines = [f"{path}: {msg}" for path, msg in validation_errors(err.errors())]
                return JSONResponse({"detail": "; ".join(lines), "errors": lines}, 422)

        return route


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


# Fields only answers carry; a body may repeat them (a form sends back what it read).
READ_ONLY = frozenset({"source", "defined_in", "updated_at", "problem"})


class ItemBody(BaseModel):
    """Mixin for zone and rule bodies: no NUL character anywhere (no text or JSONB column can
    hold one); the answers' read-only fields (`READ_ONLY`) are ignored, every other key is
    judged by site.yaml's model."""

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: object) -> object:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in READ_ONLY}
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


def catalog(services: ApiServices) -> RuleCatalog:
    if services.rules is None:
        raise UnavailableError("zones and rules are not stored on this server")
    return services.rules


async def run(call: Callable[..., T], *args: Any) -> T:
    """A catalog call (blocking database work) off the event loop."""
    return await asyncio.to_thread(call, *args)


async def changed(
    services: ApiServices,
    request: Request,
    user: Principal,
    action: str,
    resource: str,
    details: dict[str, Any] | None = None,
) -> None:
    """After a committed change: audit it, and tell analytics to reload its rules."""
    await audit_success(services, request, user, action, resource, details)
    site_id = services.config.site.id
    notice = change_notice(site_id, action, resource, services.clock.now().isoformat())
    services.bus.publish(topics.CONFIG_CHANGES, site_id, notice)
