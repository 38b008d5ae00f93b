"""The in-process bus: fan-out per group, order per key, bounded drops counted, thread-safe."""

from __future__ import annotations

import asyncio
import threading

import pytest

from vigil.bus import MemoryBus, Message


async def test_each_group_gets_every_message_in_order() -> None:
    bus = MemoryBus()
    a = bus.subscribe("t", "a")
    b = bus.subscribe("t", "b")
    for i in range(5):
        bus.publish("t", "cam1", i)
    got_a = [(await a.get(1)) for _ in range(5)]
    got_b = [(await b.get(1)) for _ in range(5)]
    assert [m.value for m in got_a if m] == [0, 1, 2, 3, 4]
    assert [m.value for m in got_b if m] == [0, 1, 2, 3, 4]
    assert await a.get(0.01) is None


async def test_bounded_subscription_drops_oldest_and_counts() -> None:
    bus = MemoryBus()
    dropped: list[Message] = []
    sub = bus.subscribe("frames", "vision", max_pending=3, on_drop=dropped.append)
    for i in range(10):
        bus.publish("frames", f"cam{i % 2}", i)
    values = []
    while (m := await sub.get(0.01)) is not None:
        values.append(m.value)
    assert values == [7, 8, 9]
    assert sub.dropped == 7
    assert [m.value for m in dropped] == list(range(7))


async def test_publish_from_threads_wakes_consumer() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("t", "g")

    def produce(start: int) -> None:
        for i in range(start, start + 100):
            bus.publish("t", "k", i)

    threads = [threading.Thread(target=produce, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    received = []
    while len(received) < 400:
        m = await asyncio.wait_for(sub.get(), 5)
        assert m is not None
        received.append(m.value)
    for t in threads:
        t.join()
    assert sorted(received) == list(range(400))


async def test_duplicate_group_refused_and_close_ends_iteration() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("t", "g")
    with pytest.raises(ValueError, match="already subscribed"):
        bus.subscribe("t", "g")
    bus.publish("t", "k", 1)
    await bus.stop()
    assert [m.value async for m in sub] == [1]


async def test_pending_counts_what_waits_for_the_consumer() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("frames", "vision", max_pending=3)
    assert sub.pending == 0
    for i in range(5):
        bus.publish("frames", "cam1", i)
    assert sub.pending == 3  # bounded: the two oldest were dropped
    await sub.get(1)
    assert sub.pending == 2
