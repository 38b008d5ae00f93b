"""The uplink's durable queue: order, idempotent puts, bounds and the drop order, restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.edge.uplink_queue import Put, UplinkQueue

T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def _kinds(q: UplinkQueue) -> list[tuple[str, str]]:
    return [(i.kind, i.id) for i in q.peek(1000)]


def test_items_come_back_in_order_and_leave_only_when_removed(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3")
    for n in range(5):
        assert q.put("event", f"e{n}", {"n": n}, T0).outcome is Put.QUEUED
    q.put("segment", "cam/a.mp4", {"key": "cam/a.mp4"}, T0, object_key="cam/a.mp4")
    items = q.peek(3)
    assert [i.id for i in items] == ["e0", "e1", "e2"]
    assert items[0].body == {"n": 0} and items[0].enqueued_at == T0
    q.remove([i.seq for i in items])
    assert _kinds(q) == [("event", "e3"), ("event", "e4"), ("segment", "cam/a.mp4")]
    assert q.peek(10)[-1].object_key == "cam/a.mp4"


def test_the_same_item_queued_twice_is_kept_once(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3")
    assert q.put("alert", "a1", {}, T0).outcome is Put.QUEUED
    assert q.put("alert", "a1", {}, T0).outcome is Put.DUPLICATE
    assert q.usage()[0] == 1


def test_a_new_heartbeat_replaces_the_queued_one(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3")
    q.put("heartbeat", "h1", {"n": 1}, T0)
    q.put("event", "e1", {}, T0)
    result = q.put("heartbeat", "h2", {"n": 2}, T0)
    assert result.evicted == {"heartbeat": 1}
    assert _kinds(q) == [("event", "e1"), ("heartbeat", "h2")]


def test_when_full_segments_go_oldest_first_and_events_are_never_dropped(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3", max_items=4)
    q.put("segment", "s1", {}, T0)
    q.put("event", "e1", {}, T0)
    q.put("segment", "s2", {}, T0)
    q.put("heartbeat", "h1", {}, T0)
    # Full: the heartbeat goes first, then the oldest segment.
    assert q.put("alert", "a1", {}, T0).evicted == {"heartbeat": 1}
    assert q.put("alert", "a2", {}, T0).evicted == {"segment": 1}
    assert _kinds(q) == [("event", "e1"), ("segment", "s2"), ("alert", "a1"), ("alert", "a2")]
    assert q.put("event", "e2", {}, T0).evicted == {"segment": 1}
    # Now only events and alerts: a new segment is dropped, a new event refused, none lost.
    assert q.put("segment", "s3", {}, T0).outcome is Put.DROPPED
    assert q.put("event", "e3", {}, T0).outcome is Put.REFUSED
    assert _kinds(q) == [("event", "e1"), ("alert", "a1"), ("alert", "a2"), ("event", "e2")]


def test_the_byte_bound_counts_the_stored_records(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3", max_bytes=100)
    q.put("segment", "s1", {"pad": "x" * 40}, T0)
    q.put("event", "e1", {"pad": "x" * 40}, T0)
    result = q.put("event", "e2", {"pad": "x" * 40}, T0)
    assert result.outcome is Put.QUEUED and result.evicted == {"segment": 1}
    assert q.put("event", "e3", {"pad": "x" * 40}, T0).outcome is Put.REFUSED
    assert q.usage()[1] <= 100


@pytest.mark.parametrize(("items", "size"), [(0, 1), (1, 0)])
def test_bounds_must_be_positive(tmp_path: Path, items: int, size: int) -> None:
    with pytest.raises(ValueError, match="bounds"):
        UplinkQueue(tmp_path / "q.sqlite3", max_items=items, max_bytes=size)


def test_unknown_kinds_are_refused(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3")
    with pytest.raises(ValueError, match="unknown uplink item kind 'frame'"):
        q.put("frame", "f1", {}, T0)  # type: ignore[arg-type]


_WRITER = """
import sys, os
from datetime import UTC, datetime
from vigil.edge.uplink_queue import UplinkQueue
q = UplinkQueue(__import__("pathlib").Path(sys.argv[1]))
n = 0
while True:
    q.put("event", f"e{n}", {"n": n}, datetime.now(UTC))
    print(n, flush=True)  # acknowledged: on disk
    n += 1
"""


def test_a_process_killed_mid_write_loses_no_acknowledged_item(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = -1
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 200:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    q = UplinkQueue(path)
    ids = [i.id for i in q.peek(100_000)]
    assert len(ids) == len(set(ids))
    assert ids[: acknowledged + 1] == [f"e{n}" for n in range(acknowledged + 1)]
    assert q.put("event", "after-restart", {}, T0).outcome is Put.QUEUED


def test_the_drop_order_is_heartbeat_then_segment_then_snapshot(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3", max_items=3)
    q.put("snapshot", "p1", {}, T0)
    q.put("segment", "s1", {}, T0)
    q.put("heartbeat", "h1", {}, T0)
    evicted = [q.put("event", f"e{n}", {}, T0).evicted for n in range(3)]
    assert evicted == [{"heartbeat": 1}, {"segment": 1}, {"snapshot": 1}]
