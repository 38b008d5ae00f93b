"""The hub's edge state: one contract for the in-memory state (one box) and the `edges` table
(hub replicas), and two heartbeat monitors on one database that raise ONE edge_offline
alert between them, cleared by the next beat whichever replica receives it; a hub's monitor
writes those alerts itself."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from vigil.alerts.incidents import IncidentRecorder
from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import FakeClock
from vigil.db.session import Database
from vigil.db.tables import Alert
from vigil.edge.heartbeat import Heartbeat
from vigil.hub.edge_state import DbEdgeState, EdgeState, MemoryEdgeState
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.model.messages import AlertCleared, AlertRequest
from vigil.storage import FsObjectStore

T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
SILENCE = timedelta(seconds=90)


def _beat(edge_id: str, at: datetime, streams: int = 8, queue: int | None = 3) -> Heartbeat:
    return Heartbeat(edge_id, at, streams, 10**11, 41.5, queue_depth=queue)


@pytest.fixture(params=["memory", "database"])
def state(request: pytest.FixtureRequest) -> Iterator[EdgeState]:
    if request.param == "memory":
        yield MemoryEdgeState()
    else:
        yield DbEdgeState(request.getfixturevalue("db"))


def test_a_beat_is_listed_with_its_payload_and_the_edge_online(state: EdgeState) -> None:
    assert state.edges() == [] and not state.online("site-1")
    assert state.record(_beat("site-2", T0, queue=None), T0) is None
    assert (
        state.record(_beat("site-1", T0 - timedelta(seconds=5)), T0 + timedelta(seconds=1)) is None
    )
    one, two = state.edges()
    assert (one.edge_id, one.online, one.last_seen) == ("site-1", True, T0 + timedelta(seconds=1))
    assert one.last_beat == _beat("site-1", T0 - timedelta(seconds=5))
    assert two.edge_id == "site-2" and two.last_beat.queue_depth is None
    assert state.online("site-1") and not state.online("site-3")


def test_silence_marks_an_edge_offline_once_and_its_next_beat_clears_it(
    state: EdgeState,
) -> None:
    state.record(_beat("site-1", T0), T0)
    state.record(_beat("site-2", T0), T0 + timedelta(seconds=60))
    assert state.mark_offline(T0 + SILENCE, SILENCE) == []  # exactly 90 s: not yet
    later = T0 + SILENCE + timedelta(seconds=1)
    (went,) = state.mark_offline(later, SILENCE)
    assert (went.edge_id, went.last_seen) == ("site-1", T0)
    assert went.alert_key == f"edge_offline:site-1:{later:%Y%m%dT%H%M%S}"
    assert state.mark_offline(later + timedelta(seconds=5), SILENCE) == []  # already OFFLINE
    assert not state.online("site-1") and state.online("site-2")
    assert [e.online for e in state.edges()] == [False, True]

    back = later + timedelta(minutes=5)
    assert state.record(_beat("site-1", back), back) == went.alert_key
    assert state.record(_beat("site-1", back), back) is None  # cleared once
    assert state.online("site-1")


async def _drain(sub: Subscription) -> list[object]:
    out = []
    while (m := await sub.get(timeout_s=0.05)) is not None:
        out.append(m.value)
        sub.commit(m)
    return out


@pytest.fixture
def replicas(db: Database) -> Iterator[Callable[[FakeClock, MemoryBus], HeartbeatMonitor]]:
    """Makes hub replicas' monitors, each with its own connection pool on the one database,
    as hub processes have."""
    url = db.engine.url.render_as_string(hide_password=False)
    pools: list[Database] = []

    def make(clock: FakeClock, bus: MemoryBus) -> HeartbeatMonitor:
        pools.append(Database(url, pool_size=2))
        return HeartbeatMonitor(bus, clock, state=DbEdgeState(pools[-1]))

    yield make
    for pool in pools:
        pool.dispose()


Replicas = Callable[[FakeClock, MemoryBus], HeartbeatMonitor]


def _at_once(calls: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], None]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


async def test_two_replicas_raise_one_offline_alert_and_either_clears_it(
    replicas: Replicas,
) -> None:
    clock = FakeClock(T0)
    bus = MemoryBus(clock)
    alerts = bus.subscribe(topics.ALERT_REQUESTS, "test")
    first, second = replicas(clock, bus), replicas(clock, bus)
    first.on_beat(_beat("site-1", T0))  # heard by the first replica only
    assert [e.edge_id for e in second.edges()] == ["site-1"] and second.online("site-1")

    clock.advance(SILENCE.total_seconds() + 1)
    for _ in range(5):  # both replicas check, at the same moment, again and again
        _at_once([first.check, second.check, first.check, second.check])
    offline = await _drain(alerts)
    assert len(offline) == 1
    (alert,) = offline
    assert isinstance(alert, AlertRequest) and alert.type == "edge_offline"
    assert alert.camera_id == "site-1" and alert.severity == "critical"
    assert not first.online("site-1") and not second.online("site-1")

    clock.advance(120)
    second.on_beat(_beat("site-1", clock.now()))  # back, through the other replica
    cleared, online = await _drain(alerts)
    assert isinstance(cleared, AlertCleared) and cleared.key == alert.key and cleared.resolve
    assert isinstance(online, AlertRequest) and online.type == "edge_online"
    assert first.online("site-1")
    first.check()
    assert await _drain(alerts) == []


async def test_a_restarted_hub_remembers_its_edges(replicas: Replicas) -> None:
    clock = FakeClock(T0)
    bus = MemoryBus(clock)
    before = replicas(clock, bus)
    before.on_beat(_beat("site-7", T0, streams=6))
    clock.advance(SILENCE.total_seconds() + 1)
    before.check()
    after = replicas(clock, bus)  # a new process: nothing in memory
    (edge,) = after.edges()
    assert (edge.edge_id, edge.online, edge.last_beat.stream_count) == ("site-7", False, 6)
    alerts = bus.subscribe(topics.ALERT_REQUESTS, "test")
    after.check()  # still OFFLINE: not raised again
    assert await _drain(alerts) == []


class _BrokenWriter:
    def raise_now(self, request: AlertRequest) -> bool:
        raise ConnectionError("database away")

    def clear_now(self, cleared: AlertCleared) -> None:
        raise ConnectionError("database away")


async def test_a_hub_writes_its_edges_alerts_itself_and_falls_back_to_the_bus(
    db: Database, tmp_path: Path
) -> None:
    """No analytics consumer runs here: the OFFLINE alert is stored and then resolved by the
    monitor's own writes (and announced on alerts.critical); a write that fails is handed to
    the alert consumers on alerts.requests instead of being lost."""
    clock = FakeClock(T0)
    bus = MemoryBus(clock)
    requests = bus.subscribe(topics.ALERT_REQUESTS, "test")
    announced = bus.subscribe(topics.ALERTS, "test")
    writer = IncidentRecorder(db, FsObjectStore(tmp_path), bus, clock)
    monitor = HeartbeatMonitor(bus, clock, state=DbEdgeState(db), writer=writer)

    def statuses(edge_id: str) -> list[tuple[str, str]]:
        with db.session() as session:
            rows = session.execute(
                select(Alert.type, Alert.status)
                .where(Alert.camera_id == edge_id)
                .order_by(Alert.created_at, Alert.type)
            )
            return [(kind, status) for kind, status in rows]

    monitor.on_beat(_beat("site-direct", T0))
    clock.advance(SILENCE.total_seconds() + 1)
    monitor.check()
    assert statuses("site-direct") == [("edge_offline", "new")]
    clock.advance(60)
    monitor.on_beat(_beat("site-direct", clock.now()))
    assert statuses("site-direct") == [("edge_offline", "resolved"), ("edge_online", "new")]
    pushed = [(m["type"], m["alert"]["type"]) for m in await _drain(announced)]  # type: ignore[index]
    assert pushed == [
        ("alert.created", "edge_offline"),
        ("alert.updated", "edge_offline"),
        ("alert.created", "edge_online"),
    ]
    assert await _drain(requests) == []  # nothing asked of the analytics consumers

    broken = HeartbeatMonitor(bus, clock, state=DbEdgeState(db), writer=_BrokenWriter())
    broken.on_beat(_beat("site-fallback", clock.now()))
    clock.advance(SILENCE.total_seconds() + 1)
    broken.on_beat(_beat("site-direct", clock.now()))  # still there: only one goes silent
    broken.check()
    (request,) = await _drain(requests)
    assert isinstance(request, AlertRequest) and request.type == "edge_offline"
    assert request.camera_id == "site-fallback" and statuses("site-fallback") == []
