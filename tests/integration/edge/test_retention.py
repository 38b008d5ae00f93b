"""The recordings ring buffer on real files and a real index: age and free-space bounds,
oldest first across cameras, files and rows removed together, snapshots and clips kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.support.mounts import read_only
from vigil.bus import MemoryBus
from vigil.clock import FakeClock
from vigil.db.session import Database
from vigil.db.tables import Segment
from vigil.edge.index import EdgeIndexer
from vigil.edge.retention import RetentionSweeper
from vigil.model.messages import SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET, segment_key

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
SIZE = 1000


def record(db: Database, store: FsObjectStore, camera: str, start: datetime) -> str:
    key = segment_key(camera, start)
    store.put_bytes(BUCKET, key, b"v" * SIZE)
    EdgeIndexer(MemoryBus(), db).index_segment(
        SegmentInfo(camera, key, start, start + timedelta(seconds=10), SIZE, 10)
    )
    return key


def keys_left(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Segment.key).order_by(Segment.start_at)))


def test_expired_segments_go_with_their_rows(db: Database, tmp_path: Path) -> None:
    store = FsObjectStore(tmp_path / "objects")
    old = record(db, store, "gate", NOW - timedelta(days=7, minutes=1))
    new = record(db, store, "gate", NOW - timedelta(days=6))
    store.put_bytes("snapshots", "gate/old.jpg", b"j")  # an alert's snapshot: never swept
    sweeper = RetentionSweeper(
        db, store, FakeClock(NOW), retain_days=7, min_free_percent=0, disk_dir=tmp_path
    )
    result = sweeper.sweep()
    assert (result.expired, result.evicted, result.freed_bytes) == (1, 0, SIZE)
    assert keys_left(db) == [new]
    assert not store.exists(BUCKET, old) and store.exists(BUCKET, new)
    assert store.exists("snapshots", "gate/old.jpg")


def test_the_free_space_floor_evicts_oldest_first_across_cameras(
    db: Database, tmp_path: Path
) -> None:
    store = FsObjectStore(tmp_path / "objects")
    keys = []
    for minute in range(6):  # interleaved: gate, yard, gate, yard, ...
        camera = ("gate", "yard")[minute % 2]
        keys.append(record(db, store, camera, NOW - timedelta(hours=1) + timedelta(minutes=minute)))

    def usage(_: Path) -> tuple[int, int, int]:
        """A 10-segment disk: free space is what the stored segment files leave."""
        used = sum(o.size_bytes for b in (BUCKET, "clips") for o in store.list(b))
        return 10 * SIZE, used, 10 * SIZE - used

    sweeper = RetentionSweeper(
        db, store, FakeClock(NOW), retain_days=7, min_free_percent=70, disk_dir=tmp_path,
        usage=usage,
    )  # fmt: skip
    result = sweeper.sweep()
    # 6 of 10 used: 40% free; 70% free leaves room for 3: the 3 oldest go, of both cameras
    assert result.floor_met and result.evicted == 3
    assert keys_left(db) == keys[3:]
    assert [store.exists(BUCKET, k) for k in keys] == [False] * 3 + [True] * 3

    store.put_bytes("clips", "gate/alert-clip.mp4", b"c" * 10)  # kept whatever the pressure
    sweeper.min_free_percent = 100  # unreachable: every segment goes, and it says so
    assert not sweeper.sweep().floor_met and keys_left(db) == []
    assert store.exists("clips", "gate/alert-clip.mp4")


def _delete_failures() -> float:
    return REGISTRY.get_sample_value("retention_delete_failures_total") or 0.0


def test_failed_deletes_are_counted_and_retried_at_the_next_sweep(
    db: Database, tmp_path: Path
) -> None:
    """The segments' directory made read-only for real (a read-only bind mount: every delete
    gets EROFS): nothing is lost or silently skipped; each failure counts in the metric, the
    rows stay, and the next sweep after the disk recovers removes them."""
    store = FsObjectStore(tmp_path / "objects")
    old = [record(db, store, cam, NOW - timedelta(days=8)) for cam in ("gate", "yard")]
    new = record(db, store, "gate", NOW - timedelta(days=1))
    sweeper = RetentionSweeper(
        db, store, FakeClock(NOW), retain_days=7, min_free_percent=0, disk_dir=tmp_path
    )
    failures_before = _delete_failures()
    with read_only(store.root / BUCKET):
        result = sweeper.sweep()
        assert (result.expired, result.freed_bytes) == (0, 0)
        assert _delete_failures() - failures_before == 2
        assert sorted(keys_left(db)) == sorted([*old, new])  # each row keeps its (kept) file
        assert all(store.exists(BUCKET, k) for k in old)
    result = sweeper.sweep()  # the disk is writable again: the same segments go now
    assert (result.expired, result.freed_bytes) == (2, 2 * SIZE)
    assert keys_left(db) == [new]
    assert _delete_failures() - failures_before == 2
