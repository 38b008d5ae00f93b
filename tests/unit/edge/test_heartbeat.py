"""Heartbeats: the payload, OFFLINE after 3 missed beats (90 s) and ONLINE on recovery, each
with an alert; the OFFLINE alert is resolved when the edge is back."""

from __future__ import annotations

from pathlib import Path

from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import FakeClock
from vigil.edge.heartbeat import HEARTBEATS, Heartbeat, HeartbeatPublisher
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.model.messages import AlertCleared, AlertRequest


async def drain(sub: Subscription) -> list[object]:
    out = []
    while (m := await sub.get(timeout_s=0.01)) is not None:
        out.append(m.value)
        sub.commit(m)
    return out


async def test_beat_carries_the_edge_state(fake_clock: FakeClock, tmp_path: Path) -> None:
    bus = MemoryBus(fake_clock)
    sub = bus.subscribe(HEARTBEATS, "test")
    pub = HeartbeatPublisher(
        bus, fake_clock, edge_id="site-1", streams_online=lambda: 7, disk_dir=tmp_path
    )
    pub.beat()
    [beat] = await drain(sub)
    assert isinstance(beat, Heartbeat)
    assert (beat.edge_id, beat.timestamp, beat.stream_count) == ("site-1", fake_clock.now(), 7)
    assert beat.disk_free > 0 and 0 < beat.mem_usage <= 100


async def test_offline_after_three_missed_beats_and_online_again(fake_clock: FakeClock) -> None:
    bus = MemoryBus(fake_clock)
    alerts = bus.subscribe(topics.ALERT_REQUESTS, "test")
    monitor = HeartbeatMonitor(bus, fake_clock)

    def beat() -> None:
        monitor.on_beat(Heartbeat("site-1", fake_clock.now(), 8, 10**9, 40.0))

    beat()
    for _ in range(3):  # beats every 30 s: all quiet
        fake_clock.advance(30)
        beat()
        monitor.check()
    fake_clock.advance(89)
    monitor.check()
    assert monitor.online("site-1") and await drain(alerts) == []
    fake_clock.advance(2)  # 91 s since the last beat: 3 missed
    monitor.check()
    monitor.check()
    [offline] = await drain(alerts)
    assert isinstance(offline, AlertRequest) and offline.type == "edge_offline"
    assert offline.severity == "critical" and not monitor.online("site-1")

    fake_clock.advance(300)
    beat()
    cleared, online = await drain(alerts)
    assert isinstance(cleared, AlertCleared) and cleared.key == offline.key and cleared.resolve
    assert isinstance(online, AlertRequest) and online.type == "edge_online"
    assert monitor.online("site-1")
