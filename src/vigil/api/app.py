"""`create_app(services, hub)`: the FastAPI application. Nothing here runs at import time."""

from __future__ import annotations

import hmac
import logging
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from vigil.api.bodylimit import BodyLimitMiddleware, credentials_check
from vigil.api.deps import ApiServices, bearer, current_principal, require_role
from vigil.api.ratelimit import RateLimiter
from vigil.api.routers import (
    alerts,
    api_keys,
    audit,
    auth,
    camera_admin,
    camera_tests,
    cameras,
    events,
    exports,
    faces,
    ingest,
    live,
    notifications,
    persons,
    playback,
    recordings,
    reports,
    rules,
    system,
    training,
    training_jobs,
    users,
    watchlists,
    zones,
)
from vigil.api.schemas import ErrorBody
from vigil.api.ws import AlertHub
from vigil.api.ws import router as ws_router
from vigil.config import format_loc
from vigil.errors import AuthError, VigilError, public_text

log = logging.getLogger(__name__)

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
        # 'self' covers ws:/wss: to this same host (CSP Level 3); no other host may be reached.
        "connect-src 'self'; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def dashboard_dir() -> Path | None:
    path = Path(str(resources.files("vigil"))) / "web" / "dist"
    return path if (path / "index.html").is_file() else None


def create_app(services: ApiServices, hub: AlertHub) -> FastAPI:
    docs = services.config.security.api_docs  # off by default: they map the whole API
    app = FastAPI(
        title="Vigil",
        version="0.1.0",
        description="AI video surveillance: cameras, events, alerts.",
        docs_url="/api/docs" if docs else None,
        openapi_url="/api/openapi.json" if docs else None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.hub = hub

    # Answers any endpoint may give, documented once for every operation.
    api = APIRouter(
        prefix="/api/v1",
        responses={
            400: {"model": ErrorBody, "description": "The request is wrong (detail says how)"},
            401: {"model": ErrorBody, "description": "Not signed in, or the token is invalid"},
            403: {"model": ErrorBody, "description": "The role or camera scope forbids it"},
            404: {"model": ErrorBody, "description": "No such resource (or not visible)"},
            422: {"model": ErrorBody, "description": "A field is invalid (detail names it)"},
            429: {"model": ErrorBody, "description": "Rate limit; see Retry-After"},
        },
    )
    for module in (
        auth, users, api_keys, audit, cameras, events, alerts, reports, system, recordings,
        training, faces,
    ):  # fmt: skip
        api.include_router(module.router)
    for module in (live, playback, exports):  # video: live HLS/WebRTC, VOD, clip export
        api.include_router(module.router)
    for module in (zones, rules, notifications):  # site rules edited live; channel tests
        api.include_router(module.router)
    api.include_router(camera_tests.router)  # test a camera connection (admin)
    api.include_router(camera_admin.router)  # add, change, delete cameras (admin)
    api.include_router(ingest.router)  # edges' store-and-forward uplink (hub side)
    for module in (persons, watchlists, training_jobs):  # enrolment, watchlists, jobs
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(ws_router)
    _add_ops_routes(app, services)
    _add_error_handlers(app)

    limiter = RateLimiter(services.rate_limits)
    # Inside the rate limiter (added before it): bodies of callers without credentials are
    # refused unread, every body is capped (uploads by their own caps).
    app.add_middleware(
        BodyLimitMiddleware,
        default_max_bytes=services.config.security.max_body_bytes,
        has_credentials=credentials_check(services),
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        limited = None
        if request.url.path.startswith(("/api/", "/ws/")):
            limited = await limiter.check(request)
        response: Response = limited or await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    trusted = services.config.security.trusted_proxies
    if trusted:  # added last, so it runs first: rate limits and audit see the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted))
    _mount_dashboard(app)
    # Added last, so it runs first: before routing, rate limits and every route of the app.
    app.add_middleware(RejectControlCharacters)
    return app


def _control_character_in(scope: Scope) -> str | None:
    """Where the URL holds a control character (NUL, CR, LF, ...), percent-encoded or not:
    "path" or "query"; None when it holds none. No path or query parameter of this API may
    contain one, and the file system, PostgreSQL and log lines each break on some of them."""
    path = scope.get("path", "")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "path"
    query = unquote_to_bytes(scope.get("query_string", b""))
    if any(b < 0x20 or b == 0x7F for b in query):
        return "query"
    return None


class RejectControlCharacters:
    """ASGI middleware: a request whose path or query holds a control character is refused
    before routing (HTTP 400; a WebSocket is closed with 1008, policy violation)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        where = _control_character_in(scope) if scope["type"] in ("http", "websocket") else None
        if where is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        detail = f"the URL's {where} contains a control character (such as %00), never valid"
        response = JSONResponse({"detail": detail}, 400, headers=_SECURITY_HEADERS)
        await response(scope, receive, send)


def server_config(app: FastAPI, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for serving the API. Its own proxy-header handling stays off: it
    believes X-Forwarded-For from 127.0.0.1 by default, so any local proxy passing the header
    through would let callers choose their address; `create_app` trusts
    `security.trusted_proxies` only."""
    return uvicorn.Config(app, proxy_headers=False, **options)


def _add_ops_routes(app: FastAPI, services: ApiServices) -> None:
    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/startup", include_in_schema=False)
    async def startup() -> JSONResponse:
        ok = services.health.started
        return JSONResponse({"status": "ok" if ok else "starting"}, 200 if ok else 503)

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        status, components = await services.health.report()
        body = {
            "status": status,
            "components": {
                k: {"status": v.status, "detail": v.detail} for k, v in components.items()
            },
        }
        return JSONResponse(body, 503 if status == "down" or not services.health.started else 200)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Response:
        """Prometheus metrics, which name every camera: for the configured metrics token or an
        admin (access token or API key), never anonymous."""
        token = services.config.security.metrics_token
        presented = credentials.credentials if credentials is not None else ""
        if token is None or not hmac.compare_digest(
            presented.encode(), token.get_secret_value().encode()
        ):
            await require_role("admin")(await current_principal(request, services, credentials))
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VigilError)
    async def vigil_error(_request: Request, err: VigilError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(err, AuthError) else None
        # Details often quote a library's error: no server paths or versions may go out.
        extra = {k: public_text(v) if isinstance(v, str) else v for k, v in err.extra.items()}
        body = {"detail": public_text(err.detail), **extra}
        return JSONResponse(body, err.status_code, headers=headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def database_unavailable(_request: Request, err: Exception) -> JSONResponse:
        # Unreachable, not answering in time (Database bounds every wait), or every pooled
        # connection busy. The error's type only: its text may hold the database URL.
        log.warning("request failed: database unavailable (%s)", type(err).__name__)
        return JSONResponse(
            {"detail": "the database is unavailable or did not answer in time; try again"},
            503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = []
        for item in err.errors():
            loc = format_loc(str(p) if not isinstance(p, int) else p for p in item["loc"])
            problems.append(public_text(f"{loc}: {item['msg']}"))
        return JSONResponse({"detail": "; ".join(problems), "errors": problems}, 422)


def _mount_dashboard(app: FastAPI) -> None:
    dist = dashboard_dir()
    if dist is None:
        log.warning("dashboard not built (src/vigil/web/dist missing): run `make web`")

        @app.get("/", include_in_schema=False)
        async def no_dashboard() -> PlainTextResponse:
            return PlainTextResponse(
                "Vigil API is running; the dashboard is not built (run `make web`).",
                503,
            )

        return
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str) -> Response:
        # Files at the top of dist (favicon, sounds) by exact name; everything else is the app.
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.parent == dist.resolve():
            return FileResponse(candidate)
        if path.startswith(("api/", "ws/")):
            return JSONResponse({"detail": f"no such endpoint /{path}"}, 404)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
