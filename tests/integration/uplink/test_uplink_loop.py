"""The uplink never makes the event loop wait on its SQLite queue."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from tests.integration.uplink.hub import Edge, Hub


async def test_depth_and_health_never_wait_on_a_locked_queue(
    hub: Hub, edge: Edge, tmp_path: Path
) -> None:
    """Another connection holds the queue file's write lock, so a write in progress waits
    on it (sqlite3's busy timeout, 5 s) while holding the queue's own lock: reading the
    depth and the health on the event loop answers at once, from the last known size."""
    queue_path = tmp_path / "queue.db"
    uplink = edge.uplink(hub.config(queue_path))
    await uplink.open()
    try:
        assert await uplink.enqueue("event", "e1", {"id": "e1"}) is not None
        locker = sqlite3.connect(queue_path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            writing = asyncio.create_task(uplink.enqueue("event", "e2", {"id": "e2"}))
            await asyncio.sleep(0.5)  # the write now waits on the file, holding the lock
            assert not writing.done()
            started = time.monotonic()
            depth, health = uplink.depth, uplink.health()
            took_s = time.monotonic() - started
            assert took_s < 0.1, f"the loop waited {took_s:.2f} s on the queue"
            assert depth == 1 and health.detail == "1 items queued"
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        await writing
        assert uplink.depth == 2
    finally:
        await uplink.stop()
