"""Request rate limits (moving window, `limits` library; in memory, or Redis when configured).

* Anonymous calls: 100 per minute per client IP (the reference's per-IP limit; it is what
  guards sign-in and scanning).
* API keys: 1000 per minute per key (the reference's figure).
* Signed-in users: `user_per_minute` per session token. The reference applies 100/min per IP
  to everybody, but the dashboard's live tiles poll snapshots (8 cameras at 1 fps is ~500
  requests a minute), so signed-in sessions get their own, larger budget.
* Every client IP also has an overall ceiling, so minting fake tokens buys nothing.

Counting never blocks the event loop: `limits`' async API (redis-py's asyncio client for
Redis), each shared round trip bounded by `_SHARED_TIMEOUT_S`. When the shared counters fail
or are too slow, this replica counts on its own and leaves Redis alone for
`_SHARED_RETRY_AFTER_S`, so a Redis that is down or frozen costs one bounded wait per pause,
not one per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Final

from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError as LimitsStorageError
from limits.storage import storage_from_string
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    anonymous_per_minute: int = 100
    api_key_per_minute: int = 1000
    ingest_per_minute: int = 6000  # edge keys on /api/v1/ingest (store-and-forward catch-up)
    user_per_minute: int = 3000
    ip_ceiling_per_minute: int = 6000
    storage_uri: str | None = None  # e.g. "redis://host:6379/0" to share across replicas


log = logging.getLogger(__name__)
_INGEST_PATH = "/api/v1/ingest/"
_WARN_EVERY_S = 60.0
_SHARED_TIMEOUT_S: Final = 0.5  # one hit on the shared counters, retries included
_SHARED_RETRY_AFTER_S: Final = 5.0  # after a failure, count locally this long


class RateLimiter:
    def __init__(self, config: RateLimitConfig) -> None:
        self._limiter: MovingWindowRateLimiter | None = None
        if config.storage_uri:
            self._limiter = MovingWindowRateLimiter(_shared_storage(config.storage_uri))
        # While shared counters (Redis) are unreachable, this replica counts on its own:
        # limits stay enforced, per replica, instead of every request failing.
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared_down_until = 0.0  # monotonic
        self._warned_at = -_WARN_EVERY_S
        self._anon = RateLimitItemPerMinute(config.anonymous_per_minute)
        self._key = RateLimitItemPerMinute(config.api_key_per_minute)
        self._ingest = RateLimitItemPerMinute(config.ingest_per_minute)
        self._user = RateLimitItemPerMinute(config.user_per_minute)
        self._ceiling = RateLimitItemPerMinute(config.ip_ceiling_per_minute)

    async def check(self, request: Request) -> Response | None:
        """None when the request may proceed, else the 429 response to send."""
        for item, kind, ident in self._checks(request):
            limiter, allowed = await self._hit(item, kind, ident)
            if not allowed:
                stats = await self._window_stats(limiter, item, kind, ident)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                return JSONResponse(
                    {
                        "detail": f"too many requests: limit is {item.amount} per minute "
                        f"({_who(kind)}); retry in {retry_after} s"
                    },
                    status_code=429,
                    headers={"Retry-After": str(retry_after)},
                )
        return None

    def _checks(self, request: Request) -> list[tuple[RateLimitItem, str, str]]:
        ip = request.client.host if request.client else "unknown"
        checks: list[tuple[RateLimitItem, str, str]] = [(self._ceiling, "ip-all", ip)]
        api_key = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        if api_key or scheme.lower() == "apikey":
            key = api_key or credential
            key_id = key.split("_")[1] if key.count("_") >= 2 else key
            if request.url.path.startswith(_INGEST_PATH):  # only edge keys get past its auth
                checks.append((self._ingest, "ingest", key_id))
            else:
                checks.append((self._key, "key", key_id))
        elif scheme.lower() == "bearer" and credential:
            digest = hashlib.sha256(credential.encode()).hexdigest()[:24]
            checks.append((self._user, "token", digest))
        elif request.url.path.startswith("/ws/") and request.query_params.get("token"):
            digest = hashlib.sha256(request.query_params["token"].encode()).hexdigest()[:24]
            checks.append((self._user, "token", digest))
        else:
            checks.append((self._anon, "anon", ip))
        return checks

    async def _hit(
        self, item: RateLimitItem, kind: str, ident: str
    ) -> tuple[MovingWindowRateLimiter, bool]:
        """(the limiter that counted, whether the request is allowed)."""
        shared = self._shared()
        if shared is not None:
            try:
                return shared, await asyncio.wait_for(
                    shared.hit(item, kind, ident), _SHARED_TIMEOUT_S
                )
            except (LimitsStorageError, TimeoutError) as err:
                self._shared_failed(err)
        return self._local, await self._local.hit(item, kind, ident)

    async def _window_stats(
        self, limiter: MovingWindowRateLimiter, item: RateLimitItem, kind: str, ident: str
    ) -> WindowStats:
        if limiter is not self._local:
            try:
                return await asyncio.wait_for(
                    limiter.get_window_stats(item, kind, ident), _SHARED_TIMEOUT_S
                )
            except (LimitsStorageError, TimeoutError) as err:
                self._shared_failed(err)
        return await self._local.get_window_stats(item, kind, ident)

    def _shared(self) -> MovingWindowRateLimiter | None:
        if self._limiter is None or time.monotonic() < self._shared_down_until:
            return None
        return self._limiter

    def _shared_failed(self, err: Exception) -> None:
        now = time.monotonic()
        self._shared_down_until = now + _SHARED_RETRY_AFTER_S
        if now - self._warned_at >= _WARN_EVERY_S:  # once a minute, not once a request
            self._warned_at = now
            # The error's type only: a storage error's message may hold the Redis URL.
            cause = err.storage_error if isinstance(err, LimitsStorageError) else err
            log.warning(
                "shared rate-limit counters unreachable (%s); counting on this replica alone",
                type(cause).__name__,
            )


def _shared_storage(uri: str) -> Storage:
    """The async storage for `uri`: `redis://…` becomes limits' `async+redis://…` on
    redis-py's asyncio client (the one Vigil already uses), with short socket timeouts."""
    if not uri.startswith("async+"):
        uri = f"async+{uri}"
    options: dict[str, float | str | bool] = {"wrap_exceptions": True}
    if uri.startswith(("async+redis", "async+rediss")):
        options |= {
            "implementation": "redispy",
            "socket_timeout": _SHARED_TIMEOUT_S,
            "socket_connect_timeout": _SHARED_TIMEOUT_S,
        }
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage):
        raise ValueError(f"the rate-limit storage {uri.split(':', 1)[0]} has no async version")
    return storage


def _who(kind: str) -> str:
    return {
        "ip-all": "per address",
        "key": "per API key",
        "ingest": "per edge API key sending to /ingest",
        "token": "per session",
        "anon": "per address without sign-in",
    }[kind]
