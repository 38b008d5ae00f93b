"""Alert fan-out across API replicas through Redis pub/sub (cluster only).

In a cluster the API replicas share one consumer group on the alerts topic, so each alert
reaches ONE replica; that replica publishes it on a Redis channel and every replica (itself
included) pushes it to its own WebSocket clients. Pub/sub is fire-and-forget: a replica that is
disconnected from Redis misses alerts meanwhile; clients catch up through the alerts API when
they reconnect, as after any dropped WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from vigil.config import SecurityConfig
from vigil.errors import VigilError
from vigil.ops.health import ComponentHealth
from vigil.ops.tasks import cancel_and_wait

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# redis-py is the `cluster` extra: it is imported when a fan-out starts, never by a one-box
# site or an edge, which run without Redis.

log = logging.getLogger(__name__)

DEFAULT_CHANNEL: Final = "vigil:alerts"
REDIS_ENV: Final = "VIGIL_REDIS_URL"
_RETRY_MIN_S: Final = 0.5
_RETRY_MAX_S: Final = 10.0
_COMMAND_RETRIES: Final = 3  # redis-py's own retries (with reconnection) per command
_HEALTH_CHECK_S: Final = 15.0  # an idle connection is PINGed before its next use
_SOCKET_TIMEOUT_S: Final = 2.0
_SUBSCRIBE_TIMEOUT_S: Final = 10.0
_PUBLISH_TIMEOUT_S: Final = 3.0
_PING_TIMEOUT_S: Final = 1.5
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
        # redis-py reconnects by itself: each command (and the pub/sub's next read) retries
        # with backoff, and a pub/sub that reconnects subscribes again to its channels.
        # Bounded socket waits, so a publish to a frozen Redis fails instead of hanging;
        # the pub/sub's blocking read is exempt (redis-py waits for messages without a limit).
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff
        from redis.exceptions import RedisError

        self._client = aioredis.Redis.from_url(
            self._url,
            retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), _COMMAND_RETRIES),
            health_check_interval=_HEALTH_CHECK_S,
            socket_connect_timeout=_SOCKET_TIMEOUT_S,
            socket_timeout=_SOCKET_TIMEOUT_S,
            socket_keepalive=True,
        )
        try:
            pubsub = await asyncio.wait_for(self._subscribe(), _SUBSCRIBE_TIMEOUT_S)
        except (RedisError, TimeoutError) as err:
            await self._client.aclose()
            self._client = None
            reason = str(err) or f"no confirmation within {_SUBSCRIBE_TIMEOUT_S:.0f} s"
            raise FanoutError(
                f"cannot subscribe to Redis channel {self._channel}: {reason}"
            ) from err
        self._task = asyncio.create_task(self._listen(pubsub, deliver), name="alert-fanout")

    async def _subscribe(self) -> Any:
        assert self._client is not None
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self._channel)
        while True:  # wait for the confirmation (the caller bounds the wait)
            reply = await pubsub.get_message(timeout=1.0)
            if reply is not None and reply["type"] == "subscribe":
                return pubsub

    async def _listen(self, pubsub: Any, deliver: Deliver) -> None:
        from redis.exceptions import RedisError

        delay_s = _RETRY_MIN_S
        while True:
            try:
                if not pubsub.subscribed:  # never on purpose; subscribe again, don't spin
                    await pubsub.subscribe(self._channel)
                async for message in pubsub.listen():
                    delay_s = _RETRY_MIN_S
                    self._handle(message, deliver)
            except RedisError as err:
                # The same pub/sub is read again after the pause: redis-py reconnects it and
                # subscribes it again to the channel (its on-connect callback).
                log.warning("alert fan-out lost Redis (%s); retrying in %.1f s", err, delay_s)
            # Whatever ended the read, pause before the next: a Redis that stays down costs
            # one reconnection attempt per pause, never a loop that holds the event loop.
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, _RETRY_MAX_S)

    def _handle(self, message: dict[str, Any], deliver: Deliver) -> None:
        if message["type"] != "message":
            return
        try:
            payload = json.loads(message["data"])
        except ValueError:
            log.warning("ignoring a malformed message on %s", self._channel)
            return
        if isinstance(payload, dict):
            deliver(payload)

    async def publish(self, payload: dict[str, Any]) -> None:
        """Send `payload` to every replica's clients (this one's included). FanoutError when
        Redis does not take it within `_PUBLISH_TIMEOUT_S` (retries included)."""
        from redis.exceptions import RedisError

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
        """Down unless Redis answers a PING within `_PING_TIMEOUT_S` (inside the health
        registry's own timeout, so the detail says it was Redis)."""
        from redis.exceptions import RedisError

        if self._client is None:
            return ComponentHealth("down", "the alert fan-out is not started")
        try:
            await asyncio.wait_for(self._client.ping(), _PING_TIMEOUT_S)
        except TimeoutError:
            return ComponentHealth("down", f"Redis did not answer within {_PING_TIMEOUT_S:g} s")
        except RedisError as err:
            return ComponentHealth("down", f"Redis unreachable: {type(err).__name__}")
        return ComponentHealth("ok")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
