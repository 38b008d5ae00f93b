"""`DrivenClock`: loops sleep through the injected clock, so a test drives their schedule. An edge
that beats every 30 s and a hub that checks every 5 s, run by their own loops on the bus."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from vigil.bus import MemoryBus, topics
from vigil.clock import DrivenClock
from vigil.edge.heartbeat import HEARTBEATS, HeartbeatPublisher
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.model.messages import AlertRequest


async def _settle(clock: DrivenClock, sleepers: int) -> None:
    """Until `sleepers` loops wait on the clock (each ran its turn and went back to sleep)."""
    for _ in range(500):
        if clock.sleepers >= sleepers:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{clock.sleepers} of {sleepers} loops asleep")


async def test_a_sleep_ends_when_the_test_advances_past_it() -> None:
    clock = DrivenClock()
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(30)
        woke.append(clock.monotonic())

    task = asyncio.create_task(sleeper())
    await _settle(clock, 1)
    clock.advance(29)
    await asyncio.sleep(0.05)
    assert woke == [] and not task.done()
    clock.advance(1)
    await asyncio.wait_for(task, 1)
    assert woke == [30.0] and clock.sleepers == 0


def test_a_worker_thread_sleeps_until_advanced() -> None:
    clock = DrivenClock()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (clock.sleep_sync(10), done.set()))
    thread.start()
    assert not done.wait(0.1)
    clock.advance(10)
    assert done.wait(2)
    thread.join(2)


async def test_the_test_drives_the_heartbeat_loops(tmp_path: Path) -> None:
    clock = DrivenClock()
    bus = MemoryBus(clock)
    await bus.start()
    beats = bus.subscribe(HEARTBEATS, "count")
    alerts = bus.subscribe(topics.ALERT_REQUESTS, "test")
    edge = HeartbeatPublisher(
        bus, clock, edge_id="site-1", streams_online=lambda: 8, disk_dir=tmp_path
    )
    hub = HeartbeatMonitor(bus, clock, tick_s=5.0)
    await hub.start()
    await edge.start()
    try:
        await _settle(clock, 2)  # the edge beat once; the hub's tick checked once
        for _ in range(3):  # 90 s of beats every 30 s, checked every 5 s: online throughout
            for _ in range(6):
                clock.advance(5)
                await _settle(clock, 2)
        await asyncio.sleep(0.05)  # the hub's consumer takes the last beat
        assert hub.online("site-1")
        assert await alerts.get(timeout_s=0.05) is None
        count = 0
        while (m := await beats.get(timeout_s=0.01)) is not None:
            count += 1
            beats.commit(m)
        assert count == 4  # at 0, 30, 60 and 90 s

        await edge.stop()  # the edge goes dark: OFFLINE once three beats (90 s) are missed
        for _ in range(18):
            clock.advance(5)
            await _settle(clock, 1)
        assert hub.online("site-1")  # 90 s of silence: the third beat is only just due
        clock.advance(5)
        await _settle(clock, 1)
        assert not hub.online("site-1")
        raised = await alerts.get(timeout_s=1)
        assert raised is not None and isinstance(raised.value, AlertRequest)
        assert raised.value.type == "edge_offline"
    finally:
        await edge.stop()
        await hub.stop()
        await bus.stop()
