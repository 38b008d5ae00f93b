"""Health checks: each component reports ok / degraded / down with a reason a person can act on.

Checks may block (a database round trip, a file, a disk): the registry runs each in a thread
of its own and waits at most `timeout_s` for it, so a frozen dependency turns into "down: no
answer within N s" instead of a stalled event loop. A check still running from an earlier
report is awaited again, never started twice, so a dependency that hangs holds one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

Status = Literal["ok", "degraded", "down"]
_ORDER: dict[Status, int] = {"ok": 0, "degraded": 1, "down": 2}
CHECK_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    status: Status
    detail: str | None = None
    # Camera id -> online, for a component about cameras (`camera_health`): lets the API show
    # a user scoped to some cameras the state of those cameras only.
    cameras: Mapping[str, bool] | None = None

    def seen_by(self, can_see: Callable[[str], bool]) -> ComponentHealth:
        """This component as someone who may see only the cameras `can_see` accepts sees it:
        a per-camera component is recomputed over those cameras; any other detail is free text
        that may name any camera, so it is withheld (the status stays)."""
        if self.cameras is None:
            return ComponentHealth(self.status)
        return camera_health({c: ok for c, ok in self.cameras.items() if can_see(c)})


def camera_health(online: Mapping[str, bool]) -> ComponentHealth:
    """Cameras by whether each is online: down when none is, degraded when some are not."""
    if not online:
        return ComponentHealth("ok", "no cameras started", {})
    down = sorted(c for c, ok in online.items() if not ok)
    if not down:
        return ComponentHealth("ok", f"{len(online)} of {len(online)} online", dict(online))
    status: Status = "down" if len(down) == len(online) else "degraded"
    return ComponentHealth(status, f"not online: {', '.join(down)}", dict(online))


def worst(components: Iterable[ComponentHealth]) -> Status:
    """The overall status: that of the worst component (ok when there are none)."""
    overall: Status = "ok"
    for result in components:
        if _ORDER[result.status] > _ORDER[overall]:
            overall = result.status
    return overall


SyncCheck = Callable[[], ComponentHealth]
AsyncCheck = Callable[[], Awaitable[ComponentHealth]]


class HealthRegistry:
    """Components register a check; `/health/*` and `/api/v1/system/health` read them."""

    def __init__(self, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._checks: dict[str, SyncCheck] = {}
        self._async_checks: dict[str, AsyncCheck] = {}
        self._in_flight: dict[str, asyncio.Future[ComponentHealth]] = {}
        self.started = False

    def register(self, name: str, check: SyncCheck) -> None:
        """A check that may block: it runs in a thread."""
        self._checks[name] = check

    def register_async(self, name: str, check: AsyncCheck) -> None:
        """A check that awaits (it must not block the event loop)."""
        self._async_checks[name] = check

    async def report(self) -> tuple[Status, dict[str, ComponentHealth]]:
        """Every check's result, within `timeout_s` (all run at once)."""
        names = [*self._checks, *self._async_checks]
        outcomes = await asyncio.gather(*(self._result(name) for name in names))
        results = dict(zip(names, outcomes, strict=True))
        return worst(results.values()), results

    async def _result(self, name: str) -> ComponentHealth:
        running = self._in_flight.get(name)
        # A future of another event loop (a registry reused by a new loop) cannot be awaited.
        if running is None or running.done() or running.get_loop() is not _loop():
            running = self._in_flight[name] = self._launch(name)
        try:
            # shield: a check that times out goes on (its thread cannot be stopped) and the
            # next report waits for it rather than starting another.
            return await asyncio.wait_for(asyncio.shield(running), self.timeout_s)
        except TimeoutError:
            return ComponentHealth("down", f"no answer within {self.timeout_s:g} s")
        except Exception as err:  # a broken check must not break the health endpoint
            return ComponentHealth("down", f"health check failed: {err}")

    def _launch(self, name: str) -> asyncio.Future[ComponentHealth]:
        check = self._async_checks.get(name)
        if check is not None:
            return asyncio.ensure_future(check())
        return _in_thread(self._checks[name], f"health-{name}")


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _in_thread(check: SyncCheck, thread_name: str) -> asyncio.Future[ComponentHealth]:
    """Run `check` in a daemon thread of its own (not the loop's default executor, which
    blocked database calls may have used up; daemon: a hung check must not hold up exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[ComponentHealth] = loop.create_future()

    def settle(result: ComponentHealth | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            assert result is not None
            future.set_result(result)

    def run() -> None:
        try:
            result, error = check(), None
        except BaseException as err:
            result, error = None, err
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=thread_name, daemon=True).start()
    return future
