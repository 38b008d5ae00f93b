"""Request bodies: refused before they are read when the caller has no credentials, and capped.

FastAPI reads and parses a body before the route's dependencies authenticate the caller, so
without this an anonymous 20 MB JSON is parsed before its 401. This ASGI middleware runs
first:

* A body sent to `/api/` without credentials that authenticate (a signed-in user's access
  token, a valid API key) is answered 401 before one byte of it is read, except on the routes
  for callers without an access token (sign-in).
* Every body is capped: by its Content-Length before reading, and by counting as it streams
  (chunked bodies). Over the cap: 413 naming the limit. Uploads have their own, larger caps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.api.deps import ApiServices
from vigil.api.routers.persons import MAX_PHOTOS_PER_REQUEST
from vigil.errors import AuthError
from vigil.hub.ingest import MAX_SEGMENT_BYTES, MAX_SNAPSHOT_BYTES
from vigil.model.images import MAX_UPLOAD_BYTES

MiB = 1 << 20
_FORM_OVERHEAD = MiB  # multipart boundaries and the small form fields beside the files
MAX_VERIFY_BYTES = 4 << 30  # exports/verify: a 2-hour clip of a main stream (~4 Mbit/s)
MAX_INGEST_BATCH_BYTES = 64 * MiB  # 1000 records, faces with 512-d embeddings as JSON


@dataclass(frozen=True, slots=True)
class BodyRule:
    """Bodies of requests whose path matches `path` (a full match): at most `max_bytes`;
    `anonymous`: may be sent without credentials (the route authenticates some other way)."""

    path: re.Pattern[str]
    max_bytes: int
    anonymous: bool = False


def _rule(path: str, max_bytes: int, anonymous: bool = False) -> BodyRule:
    return BodyRule(re.compile(path), max_bytes, anonymous)


# Routes whose bodies may be bigger than the default cap, or need no credentials.
RULES: tuple[BodyRule, ...] = (
    _rule(r"/api/v1/auth/(login|refresh|logout)", 64 * 1024, anonymous=True),
    _rule(r"/api/v1/training/upload", MAX_UPLOAD_BYTES + _FORM_OVERHEAD),
    _rule(r"/api/v1/search/faces", MAX_UPLOAD_BYTES + _FORM_OVERHEAD),
    _rule(r"/api/v1/persons(/[^/]+/photos)?", MAX_PHOTOS_PER_REQUEST * MAX_UPLOAD_BYTES + MiB),
    _rule(r"/api/v1/exports/verify", MAX_VERIFY_BYTES),
    _rule(r"/api/v1/ingest/batch", MAX_INGEST_BATCH_BYTES),
    _rule(r"/api/v1/ingest/segments/.+", MAX_SEGMENT_BYTES),
    _rule(r"/api/v1/ingest/snapshots/.+", MAX_SNAPSHOT_BYTES),
)


class _TooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """See the module's docstring. `has_credentials(headers)` says whether a request carries
    credentials worth reading a body for (cheap checks only: no database)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_max_bytes: int,
        has_credentials: Callable[[Headers], Awaitable[bool]],
        rules: tuple[BodyRule, ...] = RULES,
    ) -> None:
        self.app = app
        self._default = default_max_bytes
        self._has_credentials = has_credentials
        self._rules = rules

    def _rule_for(self, path: str) -> BodyRule | None:
        return next((r for r in self._rules if r.path.fullmatch(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            await _answer(send, 400, f"Content-Length {length_header!r} is not a number")
            return
        if not chunked and not length:  # no body: nothing to guard
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        rule = self._rule_for(path)
        limit = rule.max_bytes if rule is not None else self._default
        anonymous = rule is not None and rule.anonymous
        if path.startswith("/api/") and not anonymous and not await self._has_credentials(headers):
            await _answer(
                send,
                401,
                "not signed in, or the credentials are invalid: send 'Authorization: Bearer "
                "<access token>' or 'X-API-Key: <key>' (a body without them is refused unread)",
                {"WWW-Authenticate": "Bearer"},
            )
            return
        too_large = f"the request body is over the limit of {limit} bytes for {method} {path}"
        if length is not None and length > limit:
            await _answer(send, 413, too_large)
            return
        await self._capped(scope, receive, send, limit, too_large)

    async def _capped(
        self, scope: Scope, receive: Receive, send: Send, limit: int, too_large: str
    ) -> None:
        """Run the app, counting the body as it is read; past `limit`, whatever the app was
        about to answer (FastAPI turns a failed read into a 400) becomes a 413."""
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLargeError
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await _answer(send, 413, too_large)
                return  # the app's own answer to the failed read is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:  # whatever reading past the cap set off is answered by the 413
                raise
        if exceeded and not started:
            await _answer(send, 413, too_large)


def credentials_check(services: ApiServices) -> Callable[[Headers], Awaitable[bool]]:
    """Whether headers carry credentials that authenticate now: an access token of a signed-in
    user (as `current_principal` checks it) or a valid API key. The route's dependency checks
    them again (and the role) once the capped body has been read."""

    async def has_credentials(headers: Headers) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        api_key = headers.get("x-api-key") or (value.strip() if scheme.lower() == "apikey" else "")
        try:
            if api_key:
                await services.api_keys.authenticate(api_key)
                return True
            if scheme.lower() == "bearer" and value.strip():
                claims = services.keys.verify(value.strip(), "access")
                await services.sessions.current(claims)
                return True
        except AuthError:
            return False
        return False

    return has_credentials


async def _answer(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    # The body was not (all) read: the connection is closed after this answer.
    raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
