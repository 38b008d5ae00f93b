"""WebSocket /ws/alerts: every alert created or changed is pushed to signed-in clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from vigil.api.fanout import FanoutError, RedisFanout
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.errors import AuthError
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
router = APIRouter()
PING_INTERVAL_S = 20.0
_CLIENT_QUEUE = 256


class AlertHub:
    """Fans the alerts topic out to WebSocket clients; a slow client is disconnected, never
    allowed to hold up the others. With a `fanout` (several API replicas sharing the group),
    each alert goes through Redis to every replica's clients."""

    def __init__(self, bus: Bus, fanout: RedisFanout | None = None) -> None:
        self._bus = bus
        self._fanout = fanout
        self._clients: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._task: asyncio.Task[None] | None = None

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


@router.websocket("/ws/alerts")
async def alerts_socket(websocket: WebSocket) -> None:
    """Authenticate with `?token=<access token>` (browsers cannot set headers on WebSockets)."""
    services = websocket.app.state.services
    hub: AlertHub = websocket.app.state.hub
    token = websocket.query_params.get("token", "")
    try:
        claims = services.keys.verify(token, "access")
    except AuthError as err:
        await websocket.close(code=4401, reason=err.detail[:120])
        return
    if claims.mfa_pending:
        await websocket.close(code=4403, reason="enrol two-factor sign-in first")
        return
    # The user's cameras: alerts of other cameras are never sent to this socket.
    scope = await services.users.cameras_of(claims.user_id)
    await websocket.accept()
    queue = hub.connect()
    log.info("alert socket opened for %s", claims.username)
    receiver = asyncio.create_task(_drain_incoming(websocket))
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait(
                {getter, receiver},
                timeout=PING_INTERVAL_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if receiver in done:  # the client went away, or the server is shutting down
                getter.cancel()
                break
            if getter not in done:
                getter.cancel()
                payload: dict[str, Any] | None = {"type": "ping"}
            else:
                payload = getter.result()
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


def _visible(payload: dict[str, Any], scope: frozenset[str]) -> bool:
    alert = payload.get("alert")
    return not isinstance(alert, dict) or alert.get("camera_id") in scope


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) client messages so a close from the client is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
