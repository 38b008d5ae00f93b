"""The uplink's durable queue: order, idempotent puts, bounds and the drop order, restarts."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.edge.uplink_queue import FACE_CURSOR, Put, UplinkQueue

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


def _faces(*names: str) -> list[tuple[str, dict[str, object], str]]:
    return [(n, {"id": n, "embedding": [0.5] * 8}, f"cursor-{n}") for n in names]


def test_faces_move_the_cursor_with_them_and_stop_at_half_the_queue(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3", max_items=10)
    assert q.meta(FACE_CURSOR) is None
    assert q.put_faces(_faces("f1", "f2"), T0) == 2
    assert q.meta(FACE_CURSOR) == "cursor-f2"
    assert q.put_faces(_faces("f2", "f3", "f4", "f5", "f6", "f7"), T0) == 4  # f2 already waits
    assert _kinds(q) == [("face", f"f{n}") for n in range(1, 6)]  # 5 of 10: half full
    assert q.meta(FACE_CURSOR) == "cursor-f5"  # f6, f7 stay in the database for later
    q.close()
    assert UplinkQueue(tmp_path / "q.sqlite3").meta(FACE_CURSOR) == "cursor-f5"  # durable


def test_faces_go_after_snapshots_and_before_events_when_full(tmp_path: Path) -> None:
    q = UplinkQueue(tmp_path / "q.sqlite3", max_items=4)
    q.put_faces(_faces("f1"), T0)
    q.put("snapshot", "p1", {}, T0)
    q.put("event", "e0", {}, T0)
    q.put("event", "e1", {}, T0)
    evicted = [q.put("event", f"e{n}", {}, T0).evicted for n in (2, 3)]
    assert evicted == [{"snapshot": 1}, {"face": 1}]
    assert q.put("event", "e4", {}, T0).outcome is Put.REFUSED


def test_a_queue_file_from_before_faces_is_widened_keeping_its_items(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE items (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('event', 'alert', 'heartbeat', 'segment',
                                               'snapshot')),
            item_id TEXT NOT NULL, body TEXT NOT NULL, object_key TEXT,
            size_bytes INTEGER NOT NULL, enqueued_at TEXT NOT NULL, UNIQUE (kind, item_id));
        CREATE INDEX ix_items_kind_seq ON items (kind, seq);
        """
    )
    conn.execute(
        "INSERT INTO items (kind, item_id, body, size_bytes, enqueued_at)"
        " VALUES ('event', 'e1', '{}', 2, ?)",
        (T0.isoformat(),),
    )
    conn.execute("DELETE FROM items")  # sent: its seq must not be reused
    conn.execute(
        "INSERT INTO items (kind, item_id, body, size_bytes, enqueued_at)"
        " VALUES ('event', 'e2', '{}', 2, ?)",
        (T0.isoformat(),),
    )
    conn.commit()
    conn.close()
    q = UplinkQueue(path)
    assert q.put_faces(_faces("f1"), T0) == 1
    q.put("event", "e3", {}, T0)
    items = q.peek(10)
    assert [(i.kind, i.id) for i in items] == [("event", "e2"), ("face", "f1"), ("event", "e3")]
    assert [i.seq for i in items] == [2, 3, 4]
