"""Dependencies frozen for real under a running cluster API: PostgreSQL, Redis and the Kafka broker
(tansu) each stopped with SIGSTOP, so they hold their connections and answer nothing, then
resumed (always, in a finally). Redis is also killed and restarted under open WebSockets.

What a user of the hub sees meanwhile: /health/live answers within a second; /health/ready
names the frozen dependency within its check timeout; requests that need it fail with 503
in bounded time, and the others are served as usual; everything works again once it is back.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.support import engines
from tests.support.cluster_api import ClusterApi
from tests.support.db import template_copy
from tests.support.freeze import frozen, postgres_pids
from vigil.app.demo import demo_config
from vigil.bus import topics
from vigil.bus.kafka import QUEUE_FULL_WAIT_S, BusError, KafkaBus
from vigil.db.admin import drop_database
from vigil.ops.health import CHECK_TIMEOUT_S

LIVE_S = 1.0  # /health/live, whatever is frozen
READY_S = CHECK_TIMEOUT_S + 1.0  # /health/ready: the checks' timeout, plus slack for the box
API_S = 1.5  # a request that does not need the frozen dependency
DB_DOWN_S = 15.0  # a request that needs a frozen database: 503 within this (pool bounds)
RECOVER_S = 30.0


class RedisOnPort:
    """A Redis that can be killed and started again on the same port."""

    def __init__(self) -> None:
        self.port = engines.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._running: Any = None
        self.server: engines.Server | None = None

    def start(self) -> None:
        self._running = engines.redis_process(self.port)
        url, self.server = self._running.__enter__()
        assert url == self.url

    def kill(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)  # SIGKILL
            self._running = self.server = None

    def pid(self) -> int:
        assert self.server is not None
        return self.server.process.pid


@dataclass
class Site:
    hub: ClusterApi
    redis: RedisOnPort
    tansu: engines.Server
    bootstrap: str
    postgres: Callable[[], Iterator[int]]


METRICS_TOKEN = "frozen-suite-metrics-token"


@pytest.fixture(scope="module")
def site(pg_url: str, db_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site_id = f"frozen-{uuid.uuid4().hex[:6]}"
    base = demo_config(8554, "pw", channels=2)
    config = base.model_copy(
        update={
            "site": base.site.model_copy(update={"id": site_id}),
            "security": base.security.model_copy(
                update={"require_admin_mfa": False, "metrics_token": SecretStr(METRICS_TOKEN)}
            ),
        }
    )
    redis = RedisOnPort()
    redis.start()
    dropped: list[str] = []
    try:
        with (
            engines.tansu_server() as (bootstrap, tansu),
            template_copy(pg_url, db_template, "vigil_frozen", dropped.append) as db,
        ):
            url = db.engine.url.render_as_string(hide_password=False)
            data_dir = tmp_path_factory.mktemp("frozen")
            hub = ClusterApi(config, data_dir, url, bootstrap, redis.url)
            hub.start()
            try:
                yield Site(hub, redis, tansu, bootstrap, postgres_pids(pg_url))
            finally:
                hub.stop()
    finally:
        redis.kill()
        for name in dropped:
            drop_database(pg_url, name)


def _get(
    site: Site, path: str, timeout_s: float, auth: bool = False
) -> tuple[httpx.Response, float]:
    # /metrics takes the scraper's token, which needs no database (a user's token does).
    token = METRICS_TOKEN if path == "/metrics" else site.hub.token
    headers = {"Authorization": f"Bearer {token}"} if auth or path == "/metrics" else {}
    started = time.monotonic()
    response = httpx.get(f"{site.hub.url}{path}", headers=headers, timeout=timeout_s)
    return response, time.monotonic() - started


def _assert_live(site: Site) -> None:
    response, took_s = _get(site, "/health/live", LIVE_S)
    assert response.status_code == 200 and took_s < LIVE_S, took_s


def _ready(site: Site, component: str) -> tuple[dict[str, Any], float]:
    response, took_s = _get(site, "/health/ready", 30)
    return response.json()["components"][component], took_s


def _until_ready(site: Site, component: str) -> None:
    deadline = time.monotonic() + RECOVER_S
    while (state := _ready(site, component)[0])["status"] != "ok":
        assert time.monotonic() < deadline, f"{component} did not recover: {state}"
        time.sleep(0.5)


def test_a_frozen_redis_is_reported_and_stalls_nothing(site: Site) -> None:
    _until_ready(site, "redis")
    with frozen(lambda: [site.redis.pid()]):
        _assert_live(site)
        state, took_s = _ready(site, "redis")
        assert state["status"] == "down" and took_s < READY_S, (state, took_s)
        print(f"\n/health/ready reported the frozen Redis in {took_s:.2f} s: {state['detail']}")
        # Rate limits count on this replica while the shared counters do not answer.
        for _ in range(3):
            response, took_s = _get(site, "/api/v1/cameras", 10, auth=True)
            assert response.status_code == 200 and took_s < API_S, (response.text, took_s)
        _assert_live(site)
    _until_ready(site, "redis")


def test_a_frozen_kafka_broker_is_reported_and_stalls_nothing(site: Site) -> None:
    _until_ready(site, "bus")
    with frozen(lambda: [site.tansu.process.pid]):
        _assert_live(site)
        state, took_s = _ready(site, "bus")
        assert state["status"] == "down" and took_s < READY_S, (state, took_s)
        print(f"\n/health/ready reported the frozen broker in {took_s:.2f} s: {state['detail']}")
        response, took_s = _get(site, "/api/v1/cameras", 10, auth=True)
        assert response.status_code == 200 and took_s < API_S, (response.text, took_s)
        _assert_live(site)
    _until_ready(site, "bus")


def test_a_full_producer_queue_never_blocks_the_event_loop(site: Site) -> None:
    """The broker frozen, the producer's local queue fills: a publish on the event loop is
    refused at once, one from another thread after a bounded wait."""
    bus = KafkaBus(
        site.bootstrap, client_id="frozen-full", config={"queue.buffering.max.messages": 5}
    )
    outcome: dict[str, Any] = {}

    async def publish_on_the_loop() -> None:
        await bus.start()
        for _ in range(5):
            bus.publish_raw("frozen-full", "k", b"x", [])
        started = time.monotonic()
        try:
            bus.publish_raw("frozen-full", "k", b"x", [])
        except BusError as err:
            outcome["loop"] = (time.monotonic() - started, err.detail)
        started = time.monotonic()
        try:
            await asyncio.to_thread(bus.publish_raw, "frozen-full", "k", b"x", [])
        except BusError as err:
            outcome["thread"] = (time.monotonic() - started, err.detail)

    # Its own thread and loop: were publishing to block that loop, this test still ends.
    runner = threading.Thread(target=asyncio.run, args=(publish_on_the_loop(),), daemon=True)
    try:
        with frozen(lambda: [site.tansu.process.pid]):
            runner.start()
            runner.join(QUEUE_FULL_WAIT_S + 10)
            assert not runner.is_alive(), "publishing blocked its event loop"
    finally:
        runner.join(30)
        asyncio.run(bus.stop())
    loop_s, detail = outcome["loop"]
    assert loop_s < 0.1 and "queue is full" in detail
    thread_s, _ = outcome["thread"]
    assert QUEUE_FULL_WAIT_S <= thread_s < QUEUE_FULL_WAIT_S + 2


def test_a_frozen_database_fails_its_requests_in_bounded_time(site: Site) -> None:
    _until_ready(site, "database")
    with frozen(site.postgres):
        _assert_live(site)
        state, took_s = _ready(site, "database")
        assert state["status"] == "down" and took_s < READY_S, (state, took_s)
        print(f"\n/health/ready reported the frozen database in {took_s:.2f} s: {state['detail']}")
        response, took_s = _get(site, "/api/v1/events", 60, auth=True)
        assert response.status_code == 503 and took_s < DB_DOWN_S, (response.text, took_s)
        print(f"a request needing the frozen database got 503 in {took_s:.2f} s")
        _assert_live(site)
        response, took_s = _get(site, "/metrics", 10)
        assert response.status_code == 200 and took_s < API_S
    _until_ready(site, "database")
    response, _ = _get(site, "/api/v1/events", 30, auth=True)
    assert response.status_code == 200, response.text


def test_alert_fanout_survives_redis_killed_and_restarted_under_open_websockets(
    site: Site,
) -> None:
    producer = KafkaBus(site.bootstrap, client_id="frozen-alerts")
    asyncio.run(producer.start())
    sockets = [site.hub.websocket() for _ in range(2)]
    try:
        site.redis.kill()
        until = time.monotonic() + 3.0
        while time.monotonic() < until:  # Redis is gone: the API keeps answering
            _assert_live(site)
            response, took_s = _get(site, "/api/v1/cameras", 10, auth=True)
            assert response.status_code == 200 and took_s < API_S, took_s
            time.sleep(0.2)
        assert _ready(site, "redis")[0]["status"] == "down"
        site.redis.start()
        _until_ready(site, "redis")
        # Pub/sub is fire and forget: publish a new alert each second until one arrives
        # through Redis on every open socket (the fan-out subscribed again by itself).
        for ws in sockets:
            _alert_arrives(producer, ws)
    finally:
        for ws in sockets:
            ws.close()
        asyncio.run(producer.stop())


def _alert_arrives(producer: KafkaBus, ws: Any) -> None:
    deadline = time.monotonic() + RECOVER_S
    sent: set[str] = set()
    while time.monotonic() < deadline:
        alert_id = f"after-restart-{uuid.uuid4().hex[:8]}"
        sent.add(alert_id)
        alert = {"id": alert_id, "camera_id": "gate"}
        producer.publish(topics.ALERTS, "gate", {"type": "alert.created", "alert": alert})
        producer.flush(5)
        until = time.monotonic() + 1.0
        while (left := until - time.monotonic()) > 0:
            try:
                message = json.loads(ws.recv(timeout=left))
            except TimeoutError:
                break
            if message.get("alert", {}).get("id") in sent:
                return
    pytest.fail("no alert reached the WebSocket after Redis restarted")
