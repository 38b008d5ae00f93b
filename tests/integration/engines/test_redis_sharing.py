"""Redis shared by API replicas: alert WebSocket fan-out and rate-limit counters.

Two replicas = two `AlertHub`s, each on its own Kafka bus connection (tansu), in the same
consumer group; and two `RateLimiter`s on one Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.requests import Request

from tests.support.engines import free_port
from vigil.api.ratelimit import RateLimitConfig, RateLimiter
from vigil.api.ws import AlertHub
from vigil.bus import topics
from vigil.bus.kafka import KafkaBus
from vigil.config import SecurityConfig
from vigil.hub.fanout import RedisFanout, masked_redis_url, redis_url

WAIT_S = 30.0  # liveness bound only


@pytest.fixture
async def buses(kafka_bootstrap: str) -> AsyncIterator[list[KafkaBus]]:
    buses = [KafkaBus(kafka_bootstrap, client_id=f"replica-{i}") for i in range(3)]
    for bus in buses:
        await bus.start()
    try:
        yield buses
    finally:
        for bus in buses:
            await bus.stop()


async def test_alerts_reach_the_clients_of_every_api_replica(
    buses: list[KafkaBus], redis_url: str
) -> None:
    channel = f"vigil:alerts:{uuid.uuid4().hex[:8]}"
    producer, *replica_buses = buses
    hubs = [AlertHub(bus, RedisFanout(redis_url, channel)) for bus in replica_buses]
    for hub in hubs:
        await hub.start()
    try:
        clients = [hub.connect() for hub in hubs for _ in range(2)]
        ids = [f"alert-{i}" for i in range(12)]
        for i, alert_id in enumerate(ids):
            payload = {"type": "alert.created", "alert": {"id": alert_id, "camera_id": f"c{i}"}}
            producer.publish(topics.ALERTS, f"c{i % 6}", payload)
        for client in clients:
            seen: set[str] = set()
            while not set(ids) <= seen:
                payload: dict[str, Any] | None = await asyncio.wait_for(client.get(), WAIT_S)
                assert payload is not None
                seen.add(payload["alert"]["id"])
    finally:
        for hub in hubs:
            await hub.stop()


def _request(ip: str) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/cameras",
        "headers": [],
        "query_string": b"",
        "client": (ip, 40000),
        "server": ("hub", 443),
        "scheme": "https",
    }
    return Request(scope)


async def test_rate_limit_counters_are_shared_between_replicas(redis_url: str) -> None:
    config = RateLimitConfig(anonymous_per_minute=5, storage_uri=redis_url)
    replicas = [RateLimiter(config), RateLimiter(config)]
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    answers = [await replicas[i % 2].check(_request(ip)) for i in range(5)]
    assert answers == [None] * 5  # five calls spread over both replicas: all allowed
    for replica in replicas:  # the sixth is refused, whichever replica gets it
        refused = await replica.check(_request(ip))
        assert refused is not None and refused.status_code == 429
    other = await replicas[0].check(_request("198.51.100.251"))
    assert other is None  # counters are per client


async def test_without_redis_a_replica_still_limits_on_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = RateLimiter(RateLimitConfig(anonymous_per_minute=3, storage_uri=url))
    answers = [await limiter.check(_request("198.51.100.7")) for _ in range(4)]
    assert answers[:3] == [None] * 3
    refused = answers[3]
    assert refused is not None and refused.status_code == 429
    assert "counting on this replica alone" in caplog.text and "hunter2" not in caplog.text


def test_vigil_redis_url_wins_over_site_yaml_and_is_logged_without_password() -> None:
    security = SecurityConfig(redis_url=SecretStr("redis://config:6379/0"))
    assert redis_url(security, {}) == "redis://config:6379/0"
    assert redis_url(SecurityConfig(), {"VIGIL_REDIS_URL": " "}) is None
    env = {"VIGIL_REDIS_URL": "redis://:s3cret@redis.internal:6380/2"}
    assert redis_url(security, env) == env["VIGIL_REDIS_URL"]
    assert masked_redis_url(env["VIGIL_REDIS_URL"]) == "redis://redis.internal:6380/2"
