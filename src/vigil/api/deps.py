"""Typed dependencies: the services container, the signed-in user, role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vigil.alerts.events import EventQueries
from vigil.alerts.reports import ReportService
from vigil.alerts.service import AlertService
from vigil.analytics.catalog import RuleCatalog
from vigil.api.ratelimit import RateLimitConfig
from vigil.auth.api_keys import ApiKeyService
from vigil.auth.audit import AuditService
from vigil.auth.security import KeyManager, Role
from vigil.auth.sessions import SessionService
from vigil.auth.users import UserService
from vigil.bus import Bus
from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.edge.camera_catalog import CameraCatalog
from vigil.edge.integrity import RecordingQueries
from vigil.errors import AuthError, PermissionDeniedError
from vigil.faces.persons import PersonService
from vigil.faces.search import FaceSearch
from vigil.faces.watchlists import WatchlistService
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.hub.ingest import IngestService
from vigil.media.live import LiveView
from vigil.media.video import MediaServices
from vigil.ops.health import HealthRegistry
from vigil.storage import ObjectStore
from vigil.training.jobs import TrainingJobs


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
    sessions: SessionService
    api_keys: ApiKeyService
    reports: ReportService
    edges: HeartbeatMonitor | None = None
    secure_cookies: bool = False
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    recordings: RecordingQueries | None = None  # None: no recording index (API 503)
    faces: FaceSearch | None = None  # None: no face search here (API 503)
    persons: PersonService | None = None  # None: no enrolled persons here (API 503)
    watchlists: WatchlistService | None = None  # None: no watchlists here (API 503)
    training: TrainingJobs | None = None  # None: no training jobs here (API 503)
    rules: RuleCatalog | None = None  # None: no zone/rule storage here (API 503)
    media: MediaServices | None = None  # None: no video routes here (API 503)
    ingest: IngestService | None = None  # None: no edge uplinks received here (API 503)
    cameras: CameraCatalog | None = None  # None: cameras only from site.yaml (changes 503)


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(get_services)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user or an API key, with a role and a camera scope."""

    kind: Literal["user", "api_key"]
    id: str
    username: str
    role: Role
    cameras: frozenset[str] | None = None  # None: every camera

    def can_see(self, camera_id: str) -> bool:
        return self.cameras is None or camera_id in self.cameras

    def visible(self, camera_ids: Iterable[str]) -> list[str]:
        return [c for c in camera_ids if self.can_see(c)]


bearer = HTTPBearer(auto_error=False)
_MFA_SETUP_PATHS = frozenset(
    {"/api/v1/auth/mfa/enroll", "/api/v1/auth/mfa/confirm", "/api/v1/users/me"}
)


class MfaEnrollmentRequiredError(PermissionDeniedError):
    extra = {"mfa_enrollment_required": True}


async def current_principal(
    request: Request,
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    api_key = request.headers.get("x-api-key")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "apikey" and value:
        api_key = value.strip()
    if api_key:
        key = await services.api_keys.authenticate(api_key)
        principal = Principal("api_key", key.key_id, f"key:{key.name}", key.role)
    elif credentials is not None and credentials.scheme.lower() == "bearer":
        claims = services.keys.verify(credentials.credentials, "access")
        # The user as they are now: a token issued before a sign-out, a deactivation, a
        # deletion or a change of role or cameras carries none of its old rights.
        now = await services.sessions.current(claims)
        if now.mfa_pending and request.url.path not in _MFA_SETUP_PATHS:
            raise MfaEnrollmentRequiredError(
                "two-factor sign-in is required for admins: enrol an authenticator app first"
            )
        principal = Principal("user", now.user_id, now.username, now.role, now.cameras)
    else:
        raise AuthError(
            "not signed in: send 'Authorization: Bearer <access token>' or 'X-API-Key: <key>'"
        )
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]

_RANK: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}


def require_role(minimum: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if _RANK.get(user.role, -1) < _RANK[minimum]:
            raise PermissionDeniedError(f"this needs the {minimum} role; you are {user.role}")
        return user

    check.minimum_role = minimum  # type: ignore[attr-defined]  # read by the role-matrix test
    return check


Operator = Annotated[Principal, Depends(require_role("operator"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def audit_success(
    services: ApiServices,
    request: Request,
    user: Principal,
    action: str,
    resource: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit a change that succeeded: `action` on `resource` by `user`, from the request's
    client address, with `details` (never secrets)."""
    await services.audit.record(
        action,
        actor=user.username,
        ip=client_ip(request),
        outcome="success",
        resource=resource,
        details=details,
    )
