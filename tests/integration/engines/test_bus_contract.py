"""ONE contract suite for the `Bus` protocol, run against every implementation: the in-process
bus and the Kafka bus on a real Kafka-protocol broker (tansu).

Waits are bounded only so that a broken bus fails instead of hanging; no assertion depends on
timing.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import numpy as np
import pytest

from vigil.bus import Bus, MemoryBus, Message, topics
from vigil.bus.base import MAX_ATTEMPTS, Subscription
from vigil.bus.kafka import KafkaBus
from vigil.model.detections import Detection, Detections
from vigil.model.messages import Frame, FrameDetections, SegmentInfo

WAIT_S = 30.0  # liveness bound: a group join on a fresh broker takes a few seconds


@pytest.fixture(params=["memory", "kafka"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    impl: Bus
    if request.param == "memory":
        impl = MemoryBus()
    else:
        impl = KafkaBus(request.getfixturevalue("kafka_bootstrap"), client_id="contract")
    await impl.start()
    try:
        yield impl
    finally:
        await impl.stop()


@pytest.fixture
def topic(bus: Bus) -> str:
    name = f"contract-{uuid.uuid4().hex[:10]}"
    if isinstance(bus, KafkaBus):  # several partitions, so keys really are spread out
        bus.ensure_topics({name: 4})
    return name


async def next_message(sub: Subscription) -> Message:
    message = await sub.get(WAIT_S)
    assert message is not None, f"no message within {WAIT_S} s"
    return message


async def take(sub: Subscription, n: int) -> list[Message]:
    return [await next_message(sub) for _ in range(n)]


async def die(sub: Subscription) -> None:
    """The consumer goes away without committing (its process died)."""
    sub.close()
    join = getattr(sub, "join", None)
    if join is not None:
        await asyncio.to_thread(join, WAIT_S)


async def test_values_cross_the_bus(bus: Bus, topic: str) -> None:
    t = datetime(2026, 11, 2, 22, 15, 3, 250000, tzinfo=UTC)
    image = np.full((48, 64, 3), 128, np.uint8)
    detections = Detections.from_list([Detection("person", 0.875, (0.1, 0.2, 0.3, 0.9), 7)])
    values: list[object] = [
        {"id": "a1", "camera_id": "cam1", "severity": "high", "n": [1, 2]},
        FrameDetections("cam1", t, 5, detections, "ssdlite"),
        SegmentInfo("cam1", "cam1/2026/11/02/221500.mp4", t, t, 1024, 1),
        Frame("cam1", t, 5, image),
    ]
    sub = bus.subscribe(topic, "reader")
    for value in values:
        bus.publish(topic, "cam1", value)
    messages = await take(sub, len(values))
    assert {(m.topic, m.key) for m in messages} == {(topic, "cam1")}
    got = [m.value for m in messages]
    assert got[0] == values[0]
    assert isinstance(got[1], FrameDetections)
    assert got[1].to_json() == FrameDetections("cam1", t, 5, detections, "ssdlite").to_json()
    assert got[2] == values[2]
    assert isinstance(got[3], Frame) and got[3].timestamp == t and got[3].image.shape == (48, 64, 3)


async def test_each_key_stays_in_order(bus: Bus, topic: str) -> None:
    sub = bus.subscribe(topic, "ordered")
    cameras = [f"cam{i}" for i in range(6)]
    for i in range(20):
        for cam in cameras:
            bus.publish(topic, cam, {"camera_id": cam, "seq": i})
    got = await take(sub, 20 * len(cameras))
    for cam in cameras:
        assert [m.value["seq"] for m in got if m.key == cam] == list(range(20))


async def test_every_group_sees_every_message(bus: Bus, topic: str) -> None:
    a = bus.subscribe(topic, "group-a")
    b = bus.subscribe(topic, "group-b")
    for i in range(10):
        bus.publish(topic, f"cam{i % 3}", i)
    assert sorted(m.value for m in await take(a, 10)) == list(range(10))
    assert sorted(m.value for m in await take(b, 10)) == list(range(10))


async def test_uncommitted_messages_go_to_the_next_consumer_of_the_group(
    bus: Bus, topic: str
) -> None:
    first = bus.subscribe(topic, "workers")
    for i in range(3):
        bus.publish(topic, "cam1", i)
    taken = await take(first, 3)
    assert [m.value for m in taken] == [0, 1, 2]
    first.commit(taken[0])  # the database write of message 0 happened; then the worker died
    await die(first)
    second = bus.subscribe(topic, "workers")
    assert [m.value for m in await take(second, 2)] == [1, 2]
    bus.publish(topic, "cam1", 3)
    assert (await next_message(second)).value == 3


async def test_dead_letter_after_repeated_failures(bus: Bus, topic: str) -> None:
    dead = bus.subscribe(topics.dead_letter(topic), "dlq-reader")
    sub = bus.subscribe(topic, "fragile")
    bus.publish(topic, "cam1", {"poison": True})
    bus.publish(topic, "cam1", {"poison": False})
    for attempt in range(MAX_ATTEMPTS):
        message = await next_message(sub)
        assert message.value == {"poison": True}, f"attempt {attempt + 1}"
        sub.fail(message, "ValueError: cannot parse")
    healthy = await next_message(sub)
    assert healthy.value == {"poison": False}
    sub.commit(healthy)
    letter = await next_message(dead)
    assert (letter.key, letter.value) == ("cam1", {"poison": True})


async def test_bounded_subscription_drops_the_oldest_and_counts(bus: Bus, topic: str) -> None:
    enough = threading.Event()
    dropped: list[Message] = []

    def on_drop(message: Message) -> None:
        dropped.append(message)
        if len(dropped) == 7:
            enough.set()

    sub = bus.subscribe(topic, "vision", max_pending=3, on_drop=on_drop)
    for i in range(10):
        bus.publish(topic, "cam1", i)
    # Seven drops mean all ten arrived (the subscription holds at most three).
    assert await asyncio.to_thread(enough.wait, WAIT_S), "messages did not arrive"
    assert [m.value for m in await take(sub, 3)] == [7, 8, 9]
    assert sub.dropped == 7
    assert [m.value for m in dropped] == list(range(7))
