"""The health registry answers within its timeout whatever its checks do."""

from __future__ import annotations

import asyncio
import threading
import time

from vigil.ops.health import ComponentHealth, HealthRegistry


async def test_a_hung_check_reads_down_within_the_timeout_and_is_never_started_twice() -> None:
    release = threading.Event()
    calls = 0

    def hung() -> ComponentHealth:
        nonlocal calls
        calls += 1
        release.wait(30)
        return ComponentHealth("ok", "answered at last")

    async def pong() -> ComponentHealth:
        return ComponentHealth("ok")

    def broken() -> ComponentHealth:
        raise RuntimeError("no such disk")

    health = HealthRegistry(timeout_s=0.3)
    health.register("database", hung)
    health.register("disk", broken)
    health.register_async("redis", pong)
    try:
        for _ in range(2):
            started = time.monotonic()
            status, results = await health.report()
            assert time.monotonic() - started < 1.0
            assert status == "down"
            assert results["database"] == ComponentHealth("down", "no answer within 0.3 s")
            assert results["disk"] == ComponentHealth("down", "health check failed: no such disk")
            assert results["redis"] == ComponentHealth("ok")
        assert calls == 1  # the second report waited on the same check
    finally:
        release.set()
    await asyncio.sleep(0.1)  # the hung check ends; the next report runs it afresh
    _, results = await health.report()
    assert results["database"] == ComponentHealth("ok", "answered at last")
    assert calls == 2
