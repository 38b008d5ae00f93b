"""A real hub (the whole API over its own database, served by uvicorn over TLS on loopback with
a certificate made here) and a second database for the edge, for uplink tests. The fixtures
are registered by conftest.py."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.support.api import Api, api_for_tests
from tests.support.db import template_copy
from tests.support.tls import self_signed
from vigil.api.ratelimit import RateLimitConfig
from vigil.bus import MemoryBus
from vigil.clock import SystemClock
from vigil.db.admin import drop_database
from vigil.db.session import Database
from vigil.edge.uplink import Uplink, UplinkConfig
from vigil.storage import FsObjectStore


class HubServer:
    """uvicorn in a thread; `stop()` takes the hub off the network, `start()` brings it back
    on the same port (the edge's link is down in between)."""

    def __init__(self, app: FastAPI, cert: Path, key: Path) -> None:
        self._app = app
        self._cert, self._key = cert, key
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning",
            access_log=False, ssl_certfile=str(self._cert), ssl_keyfile=str(self._key),
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "hub server did not start"
            assert self._thread.is_alive(), "hub server failed to start"
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = None


@dataclass
class Hub:
    api: Api
    server: HubServer
    cert: Path
    key: str  # API key of edge site-1
    other_key: str  # API key of edge site-2

    def config(self, queue_path: Path, **overrides: Any) -> UplinkConfig:
        values: dict[str, Any] = {
            "hub_url": self.server.url,
            "api_key": self.key,
            "ca_file": self.cert,
            "queue_path": queue_path,
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.2,
            "timeout_s": 5.0,
        }
        return UplinkConfig(**{**values, **overrides})


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    limits = RateLimitConfig(api_key_per_minute=100_000, user_per_minute=100_000)
    with api_for_tests(db, tmp_path / "hub", rate_limits=limits) as api:
        admin = api.login("admin")
        keys = []
        for name in ("edge site-1", "edge site-2"):
            r = api.client.post("/api/v1/api-keys", json={"name": name}, headers=admin)
            assert r.status_code == 201, r.text
            keys.append(r.json()["key"])
        cert, key = self_signed(tmp_path / "tls")
        server = HubServer(api.app, cert, key)
        server.start()
        try:
            yield Hub(api, server, cert, keys[0], keys[1])
        finally:
            server.stop()


@pytest.fixture
def edge_db(pg_url: str, db_template: str) -> Iterator[Database]:
    """The edge's own database (the hub has `db`)."""
    with template_copy(pg_url, db_template, "vigil_edge", lambda n: drop_database(pg_url, n)) as db:
        yield db


@dataclass
class Edge:
    db: Database
    store: FsObjectStore
    dir: Path

    def uplink(
        self, config: UplinkConfig, bus: MemoryBus | None = None, **options: float
    ) -> Uplink:
        """The edge's uplink; `options`: Uplink's keyword settings (faces_every_s, ...)."""
        return Uplink(
            config,
            edge_id="site-1",
            bus=bus or MemoryBus(SystemClock()),
            db=self.db,
            store=self.store,
            clock=SystemClock(),
            **options,
        )


@pytest.fixture
def edge(edge_db: Database, tmp_path: Path) -> Edge:
    return Edge(edge_db, FsObjectStore(tmp_path / "edge-objects"), tmp_path / "edge")


async def until(
    check: Callable[[], bool | Awaitable[bool]], what: str, timeout_s: float = 20
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
