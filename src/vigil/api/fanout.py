"""Alert fan-out across API replicas through Redis pub/sub (cluster only).

In a cluster the API replicas share one consumer group on the alerts topic, so each alert
reaches ONE replica; that replica publishes it on a Redis channel and every replica (itself
included) pushes it to its own WebSocket clients. Pub/sub is fire-and-forget: a replica that is
disconnected from Redis misses alerts meanwhile; clients catch up through the alerts API when
they reconnect, as after any dropped WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from vigil.config import SecurityConfig
from vigil.errors import VigilError
from vigil.ops.health import ComponentHealth
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)

DEFAULT_CHANNEL: Final = "vigil:alerts"
REDIS_ENV: Final = "VIGIL_REDIS_URL"
_RETRY_MAX_S: Final = 10.0
_SOCKET_TIMEOUT_S: Final = 2.0
_PUBLISH_TIMEOUT_S: Final = 3.0
Deliver = Callable[[dict[str, Any]], None]


class FanoutError(VigilError):
    status_code = 503


def redis_url(security: SecurityConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """Redis of the cluster: `VIGIL_REDIS_URL`, else site.yaml's `security.redis_url`, else
    None (one box: no Redis). Holds a password: log it only through `masked_redis_url`."""
    env = os.environ if environ is None else environ
    url = env.get(REDIS_ENV, "").strip()
    if url:
        return url
    return security.redis_url.get_secret_value() if security.redis_url else None


def masked_redis_url(url: str) -> str:
    """`url` without its user and password, e.g. redis://redis:6379/0."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path}"


class RedisFanout:
    def __init__(self, url: str, channel: str = DEFAULT_CHANNEL) -> None:
        self._url = url
        self._channel = channel
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver) -> None:
        """Subscribe; returns once Redis confirmed the subscription, so nothing published
        afterwards is missed."""
        self._client = aioredis.Redis.from_url(self._url)
        try:
            pubsub = await self._subscribe()
        except RedisError as err:
            await self._client.aclose()
            raise FanoutError(f"cannot subscribe to Redis channel {self._channel}: {err}") from err
        self._task = asyncio.create_task(self._listen(pubsub, deliver), name="alert-fanout")

    async def _subscribe(self) -> Any:
        assert self._client is not None
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self._channel)
        while True:  # wait for the confirmation
            reply = await pubsub.get_message(timeout=5.0)
            if reply is not None and reply["type"] == "subscribe":
                return pubsub

    async def _listen(self, pubsub: Any, deliver: Deliver) -> None:
        delay_s = 0.5
        while True:
            try:
                async for message in pubsub.listen():
                    delay_s = 0.5
                    if message["type"] != "message":
                        continue
                    try:
                        payload = json.loads(message["data"])
                    except ValueError:
                        log.warning("ignoring a malformed message on %s", self._channel)
                        continue
                    if isinstance(payload, dict):
                        deliver(payload)
            except RedisError as err:
                log.warning("alert fan-out lost Redis (%s); retrying in %.1f s", err, delay_s)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, _RETRY_MAX_S)
                with contextlib.suppress(RedisError):
                    await pubsub.aclose()
                    pubsub = await self._subscribe()

    async def publish(self, payload: dict[str, Any]) -> None:
        """Send `payload` to every replica's clients (this one's included). FanoutError when
        Redis does not take it within `_PUBLISH_TIMEOUT_S` (retries included)."""
        if self._client is None:
            raise FanoutError("the alert fan-out is not started")
        try:
            await asyncio.wait_for(
                self._client.publish(self._channel, json.dumps(payload)), _PUBLISH_TIMEOUT_S
            )
        except TimeoutError as err:
            raise FanoutError(
                f"cannot publish to Redis channel {self._channel}: "
                f"no answer within {_PUBLISH_TIMEOUT_S:.0f} s"
            ) from err
        except RedisError as err:
            raise FanoutError(f"cannot publish to Redis channel {self._channel}: {err}") from err

    async def health(self) -> ComponentHealth:
        """Down unless Redis answers a PING within `_SOCKET_TIMEOUT_S`."""
        if self._client is None:
            return ComponentHealth("down", "the alert fan-out is not started")
        try:
            await asyncio.wait_for(self._client.ping(), _SOCKET_TIMEOUT_S)
        except TimeoutError:
            return ComponentHealth("down", f"Redis did not answer within {_SOCKET_TIMEOUT_S:g} s")
        except RedisError as err:
            return ComponentHealth("down", f"Redis unreachable: {type(err).__name__}")
        return ComponentHealth("ok")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
