"""Typed dependencies: the services container, the signed-in user, role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vigil.alerts.service import AlertService
from vigil.api.live import LiveView
from vigil.api.security import KeyManager, Role, TokenClaims
from vigil.api.services.audit import AuditService
from vigil.api.services.events import EventQueries
from vigil.api.services.users import UserService
from vigil.bus import Bus
from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.errors import AuthError, PermissionDeniedError
from vigil.ops.health import HealthRegistry
from vigil.storage import ObjectStore


@dataclass(frozen=True, slots=True)
class ApiServices:
    """Everything the API needs, built by the application and handed to `create_app`."""

    config: SiteConfig
    clock: Clock
    bus: Bus
    store: ObjectStore
    keys: KeyManager
    users: UserService
    alerts: AlertService
    events: EventQueries
    audit: AuditService
    live: LiveView
    health: HealthRegistry
    secure_cookies: bool = False


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(get_services)]
_bearer = HTTPBearer(auto_error=False)


def current_claims(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    if credentials is None:
        raise AuthError("not signed in: send 'Authorization: Bearer <access token>'")
    return services.keys.verify(credentials.credentials, "access")


CurrentUser = Annotated[TokenClaims, Depends(current_claims)]

_RANK: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}


def require_role(minimum: Role) -> Callable[..., Coroutine[Any, Any, TokenClaims]]:
    async def check(user: CurrentUser) -> TokenClaims:
        if _RANK.get(user.role, -1) < _RANK[minimum]:
            raise PermissionDeniedError(f"this needs the {minimum} role; you are {user.role}")
        return user

    return check


Operator = Annotated[TokenClaims, Depends(require_role("operator"))]
Admin = Annotated[TokenClaims, Depends(require_role("admin"))]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
