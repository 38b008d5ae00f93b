"""Run a `DvrSimulator` on its own event loop in a daemon thread, for synchronous callers.

Tests and tools that block (PyAV's RTSP client, say) use it so they never block
the simulator's loop:

    with BackgroundSimulator(DvrSimulator(port=0, password="pw")) as sim:
        av.open(sim.url(1), options={"rtsp_transport": "tcp"})
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from vigil.dvr.simulator.server import DvrSimulator

T = TypeVar("T")


class BackgroundSimulator:
    """Owns a thread running an event loop that runs `simulator`."""

    def __init__(self, simulator: DvrSimulator, *, start_timeout_s: float = 900.0) -> None:
        self.simulator = simulator
        self._start_timeout_s = start_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop thread and the simulator; returns once it listens."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="dvr-sim", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.simulator.start(), loop).result(
                self._start_timeout_s
            )
        except BaseException:
            self._shutdown_loop()
            raise

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the simulator (closing every session) and the loop thread."""
        if self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.simulator.stop(), self._loop).result(timeout_s)
        finally:
            self._shutdown_loop()

    def call(self, fn: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run `fn` on the simulator's loop (e.g. `lambda: sim.pause_channel(2)`)."""
        if self._loop is None:
            raise RuntimeError("the background simulator is not running")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout_s)

    def url(self, channel: int, stream: int = 0) -> str:
        return self.simulator.url(channel, stream)

    @property
    def port(self) -> int:
        return self.simulator.port

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10.0)
        if not loop.is_running():
            loop.close()

    def __enter__(self) -> BackgroundSimulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
