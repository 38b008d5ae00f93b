"""Request rate limits (moving window, `limits` library; in memory, or Redis when configured).

* Anonymous calls: 100 per minute per client IP (the reference's per-IP limit; it is what
  guards sign-in and scanning).
* API keys: 1000 per minute per key (the reference's figure).
* Signed-in users: `user_per_minute` per session token. The reference applies 100/min per IP
  to everybody, but the dashboard's live tiles poll snapshots (8 cameras at 1 fps is ~500
  requests a minute), so signed-in sessions get their own, larger budget.
* Every client IP also has an overall ceiling, so minting fake tokens buys nothing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError as LimitsStorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
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


class RateLimiter:
    def __init__(self, config: RateLimitConfig) -> None:
        storage: Storage = MemoryStorage()
        if config.storage_uri:
            shared = storage_from_string(config.storage_uri, wrap_exceptions=True)
            if not isinstance(shared, Storage):
                raise ValueError("the rate-limit storage URI names an async-only storage")
            storage = shared
        self._limiter = MovingWindowRateLimiter(storage)
        # While shared counters (Redis) are unreachable, this replica counts on its own:
        # limits stay enforced, per replica, instead of every request failing.
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._warned_at = -_WARN_EVERY_S
        self._anon = RateLimitItemPerMinute(config.anonymous_per_minute)
        self._key = RateLimitItemPerMinute(config.api_key_per_minute)
        self._ingest = RateLimitItemPerMinute(config.ingest_per_minute)
        self._user = RateLimitItemPerMinute(config.user_per_minute)
        self._ceiling = RateLimitItemPerMinute(config.ip_ceiling_per_minute)

    def check(self, request: Request) -> Response | None:
        """None when the request may proceed, else the 429 response to send."""
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
        for item, kind, ident in checks:
            limiter = self._limiter
            try:
                allowed = limiter.hit(item, kind, ident)
            except LimitsStorageError as err:
                self._warn(err)
                limiter = self._local
                allowed = limiter.hit(item, kind, ident)
            if not allowed:
                try:
                    stats = limiter.get_window_stats(item, kind, ident)
                except LimitsStorageError:
                    stats = self._local.get_window_stats(item, kind, ident)
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

    def _warn(self, err: LimitsStorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:  # once a minute, not once a request
            self._warned_at = now
            # The storage error's type only: its message may hold the Redis URL.
            log.warning(
                "shared rate-limit counters unreachable (%s); counting on this replica alone",
                type(err.storage_error).__name__,
            )


def _who(kind: str) -> str:
    return {
        "ip-all": "per address",
        "key": "per API key",
        "ingest": "per edge API key sending to /ingest",
        "token": "per session",
        "anon": "per address without sign-in",
    }[kind]
