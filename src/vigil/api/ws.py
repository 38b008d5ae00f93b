"""WebSocket /ws/alerts: every alert created or changed is pushed to signed-in clients.

A socket follows its user's current state, as REST requests do: it is re-checked every
`ACCESS_RECHECK_S` and at once when this process changes a user or ends a session
(`AlertHub.access_changed`). A socket whose token expired, whose session was ended, or whose
user was deleted or disabled is closed with 4401; one whose user now must enrol two-factor
sign-in first with 4403; a changed camera scope applies to the next alert."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect

from vigil.auth.sessions import SignedIn
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.errors import AuthError
from vigil.hub.fanout import FanoutError, RedisFanout
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait

if TYPE_CHECKING:
    from vigil.api.deps import ApiServices

log = logging.getLogger(__name__)
router = APIRouter()
PING_INTERVAL_S = 20.0
ACCESS_RECHECK_S = 5.0  # changes made elsewhere (another replica, the CLI) apply within this
_CLIENT_QUEUE = 256


class AlertHub:
    """Fans the alerts topic out to WebSocket clients; a slow client is disconnected, never
    allowed to hold up the others. With a `fanout` (several API replicas sharing the group),
    each alert goes through Redis to every replica's clients."""

    def __init__(
        self,
        bus: Bus,
        fanout: RedisFanout | None = None,
        *,
        access_recheck_s: float = ACCESS_RECHECK_S,
    ) -> None:
        self._bus = bus
        self._fanout = fanout
        self._clients: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self.access_recheck_s = access_recheck_s
        self._access_watchers: set[asyncio.Event] = set()

    async def start(self) -> None:
        if self._fanout is not None:
            await self._fanout.start(self.broadcast)
        sub = self._bus.subscribe(topics.ALERTS, "api-ws")
        self._task = asyncio.create_task(self._pump(sub), name="alert-hub")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        if self._fanout is not None:
            await self._fanout.stop()
        for queue in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def _pump(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, dict):
                try:
                    if self._fanout is not None:
                        await self._fanout.publish(message.value)
                    else:
                        self.broadcast(message.value)
                except FanoutError as err:  # Redis is down: at least this replica's clients
                    log.warning("%s", err.detail)
                    self.broadcast(message.value)
            sub.commit(message)

    def broadcast(self, payload: dict[str, Any]) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning(
                    "dropping a WebSocket client that fell %d messages behind", _CLIENT_QUEUE
                )
                self._clients.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)

    def connect(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(_CLIENT_QUEUE)
        self._clients.add(queue)
        metrics.ws_clients.set(len(self._clients))
        return queue

    def disconnect(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._clients.discard(queue)
        metrics.ws_clients.set(len(self._clients))

    def watch_access(self) -> asyncio.Event:
        """An event set whenever a user's rights or sessions change (see `access_changed`)."""
        event = asyncio.Event()
        self._access_watchers.add(event)
        return event

    def unwatch_access(self, event: asyncio.Event) -> None:
        self._access_watchers.discard(event)

    def access_changed(self) -> None:
        """A user was changed or deleted, or a session ended: every socket re-checks now."""
        for event in list(self._access_watchers):
            event.set()


def access_changed(request: Request) -> None:
    """Tell this process's alert sockets that a user or a session changed (re-check now)."""
    hub: AlertHub = request.app.state.hub
    hub.access_changed()


@router.websocket("/ws/alerts")
async def alerts_socket(websocket: WebSocket) -> None:
    """Authenticate with `?token=<access token>` (browsers cannot set headers on WebSockets)."""
    services: ApiServices = websocket.app.state.services
    hub: AlertHub = websocket.app.state.hub
    token = websocket.query_params.get("token", "")
    signed_in = await _signed_in(services, token)
    if isinstance(signed_in, _Refusal):
        await websocket.close(code=signed_in.code, reason=signed_in.reason)
        return
    # The user's cameras: alerts of other cameras are never sent to this socket.
    scope = signed_in.cameras
    await websocket.accept()
    changed = hub.watch_access()
    queue = hub.connect()
    log.info("alert socket opened for %s", signed_in.username)
    receiver = asyncio.create_task(_drain_incoming(websocket))
    loop = asyncio.get_running_loop()
    next_ping = next_check = loop.time()
    next_ping += PING_INTERVAL_S
    next_check += hub.access_recheck_s
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            waiter = asyncio.ensure_future(changed.wait())
            done, _ = await asyncio.wait(
                {getter, receiver, waiter},
                timeout=max(0.0, min(next_ping, next_check) - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            if receiver in done:  # the client went away, or the server is shutting down
                getter.cancel()
                break
            if getter not in done:
                getter.cancel()
            if changed.is_set() or loop.time() >= next_check:
                changed.clear()
                next_check = loop.time() + hub.access_recheck_s
                state = await _signed_in(services, token)
                if isinstance(state, _Refusal):
                    log.info("closing the alert socket of %s: %s", signed_in.username, state.reason)
                    await websocket.close(code=state.code, reason=state.reason)
                    break
                scope = state.cameras
            payload: dict[str, Any] | None
            if getter in done:
                payload = getter.result()
            elif loop.time() >= next_ping:
                next_ping = loop.time() + PING_INTERVAL_S
                payload = {"type": "ping"}
            else:
                continue
            if payload is None:
                await websocket.close(code=1013, reason="too far behind; reconnect")
                break
            if scope is not None and not _visible(payload, scope):
                continue
            await websocket.send_text(json.dumps(payload))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        receiver.cancel()
        hub.disconnect(queue)
        hub.unwatch_access(changed)


@dataclass(frozen=True, slots=True)
class _Refusal:
    code: int  # 4401: sign in (again); 4403: signed in, but not allowed
    reason: str


async def _signed_in(services: ApiServices, token: str) -> SignedIn | _Refusal:
    """The token's user as they are now, or why the socket must close."""
    try:
        claims = services.keys.verify(token, "access")
        state = await services.sessions.current(claims)
    except AuthError as err:
        return _Refusal(4401, err.detail[:120])
    if state.mfa_pending:
        return _Refusal(4403, "enrol two-factor sign-in first")
    return state


def _visible(payload: dict[str, Any], scope: frozenset[str]) -> bool:
    alert = payload.get("alert")
    return not isinstance(alert, dict) or alert.get("camera_id") in scope


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) client messages so a close from the client is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
