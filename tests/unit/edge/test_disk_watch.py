"""The recordings-disk watch on real directories: a disk under its free-space floor, one
that refuses writes, and recovery, each raising or clearing one alert on the alert path."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import FakeClock
from vigil.edge.disk import DiskState, DiskWatch, write_probe
from vigil.model.messages import AlertCleared, AlertRequest


async def drain(sub: Subscription) -> list[object]:
    out = []
    while (message := await sub.get(timeout_s=0.01)) is not None:
        out.append(message.value)
        sub.commit(message)
    return out


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


async def test_below_the_floor_is_full_and_recovers(
    bus: MemoryBus, fake_clock: FakeClock, tmp_path: Path
) -> None:
    sub = bus.subscribe(topics.ALERT_REQUESTS, "test")
    free = shutil.disk_usage(tmp_path).free
    watch = DiskWatch(tmp_path, bus, fake_clock, edge_id="edge-t1", min_free_bytes=free * 2)

    reading = await watch.check()
    assert reading.state is DiskState.FULL and "under the" in (reading.detail or "")
    assert REGISTRY.get_sample_value("edge_disk_free_bytes", {"edge": "edge-t1"}) == pytest.approx(
        free, rel=0.01
    )
    [raised] = await drain(sub)
    assert isinstance(raised, AlertRequest) and raised.type == "edge_disk_full"
    assert raised.severity == "critical" and raised.camera_id == "edge-t1"

    await watch.check()  # still full: no second alert
    assert await drain(sub) == []

    watch.min_free_bytes = 0  # space returned (retention freed it, or the operator did)
    assert (await watch.check()).state is DiskState.OK
    [cleared] = await drain(sub)
    assert isinstance(cleared, AlertCleared) and cleared.key == raised.key and cleared.resolve


async def test_a_directory_that_refuses_writes_alerts_until_it_takes_them_again(
    bus: MemoryBus, fake_clock: FakeClock, tmp_path: Path
) -> None:
    sub = bus.subscribe(topics.ALERT_REQUESTS, "test")
    rec = tmp_path / "recordings"
    rec.mkdir()
    watch = DiskWatch(tmp_path, bus, fake_clock, edge_id="edge-t2", min_free_bytes=0)
    watch.directory = rec
    assert (await watch.check()).state is DiskState.OK
    shutil.rmtree(rec)  # a real write failure: the volume went away under us

    reading = await watch.check()
    assert reading.state is DiskState.NOT_WRITABLE and str(rec) in (reading.detail or "")
    [raised] = await drain(sub)
    assert isinstance(raised, AlertRequest) and raised.type == "edge_disk_not_writable"

    rec.mkdir()
    assert (await watch.check()).state is DiskState.OK
    [cleared] = await drain(sub)
    assert isinstance(cleared, AlertCleared) and cleared.key == raised.key


@pytest.mark.parametrize(
    ("code", "state"),
    [(errno.EROFS, DiskState.READ_ONLY), (errno.ENOSPC, DiskState.FULL)],
)
async def test_write_errors_are_classified(
    code: int, state: DiskState, bus: MemoryBus, fake_clock: FakeClock, tmp_path: Path
) -> None:
    failing = {"on": True}

    def probe(directory: Path) -> None:
        if failing["on"]:  # what the kernel answers on a read-only or full filesystem
            raise OSError(code, "refused")
        write_probe(directory)

    sub = bus.subscribe(topics.ALERT_REQUESTS, "test")
    watch = DiskWatch(tmp_path, bus, fake_clock, edge_id="edge-t3", min_free_bytes=0, probe=probe)
    assert (await watch.check()).state is state
    [raised] = await drain(sub)
    assert isinstance(raised, AlertRequest) and raised.type == f"edge_disk_{state.value}"
    failing["on"] = False
    assert (await watch.check()).state is DiskState.OK
    assert [type(m) for m in await drain(sub)] == [AlertCleared]
    assert not (tmp_path / ".vigil-disk-probe").exists()
