"""Notifications: who hears about an alert, on which channel, and that it gets there.

* Site-wide channels (webhook, MQTT, alarm hook) get every alert (the alarm from its
  `min_severity`); people get alerts on their channels from their `min_severity`, except in
  their quiet hours (critical alerts still go out). Escalations go to the admins on all of
  their channels.
* Every message is a `notifications` row. Each channel has its own queue and workers, so a
  slow or failing channel never delays another. A send is retried `retries` times with
  exponential backoff (`retry_backoff_s`, doubling); then the row is a dead letter (status
  `dead`, with the last error), listed by the API.
* Rate limits (1 SMS per phone per `sms_interval_s`, `emails_per_hour` per address): the excess
  is held (status `pending`) and goes out later in one digest per address; never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from vigil.alerts.channels.base import Channel, DeliveryError, Kind, Message
from vigil.alerts.channels.email import EmailSender
from vigil.alerts.channels.http import PushSender, SmsSender, WebhookSender
from vigil.alerts.channels.local import AlarmSender, MqttSender
from vigil.alerts.limits import SendLimiter
from vigil.alerts.outbox import Outbox
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.config.alerts import LEVELS, AlertsConfig, RecipientConfig
from vigil.db.session import Database
from vigil.db.tables import Alert
from vigil.ops.tasks import cancel_and_wait
from vigil.storage import ObjectStore

log = logging.getLogger(__name__)
WORKERS_PER_CHANNEL = 4
_ADDRESS = {"email": "email", "sms": "phone", "push": "push_token"}


@dataclass(frozen=True, slots=True)
class Delivery:
    id: uuid.UUID
    channel: str
    message: Message


def build_channels(cfg: AlertsConfig, clock: Clock) -> dict[str, Channel]:
    c = cfg.channels
    out: dict[str, Channel] = {}
    if c.webhook:
        out["webhook"] = WebhookSender(c.webhook, clock)
    if c.email:
        out["email"] = EmailSender(c.email)
    if c.sms:
        out["sms"] = SmsSender(c.sms)
    if c.push:
        out["push"] = PushSender(c.push)
    if c.mqtt:
        out["mqtt"] = MqttSender(c.mqtt)
    if c.alarm:
        out["alarm"] = AlarmSender(c.alarm)
    return out


def _in_window(now_t: time, start: time, end: time) -> bool:
    if start < end:
        return start <= now_t < end
    return now_t >= start or now_t < end


def _at_least(severity: str, minimum: str) -> bool:
    return LEVELS.index(severity) >= LEVELS.index(minimum)


class Notifier:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Clock,
        cfg: AlertsConfig,
        tz: ZoneInfo,
        store: ObjectStore | None = None,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._cfg = cfg
        self._tz = tz
        self._store = store
        self.channels = channels if channels is not None else build_channels(cfg, clock)
        self._queues: dict[str, asyncio.Queue[Delivery]] = {
            name: asyncio.Queue() for name in self.channels
        }
        self._limits = {
            "sms": SendLimiter(clock, 1, cfg.sms_interval_s),
            "email": SendLimiter(clock, cfg.emails_per_hour, 3600.0),
        }
        self._held: dict[tuple[str, str], list[tuple[uuid.UUID, dict[str, Any]]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._outbox = Outbox(db, clock)
        self.health = self._outbox.health

    # -- life ---------------------------------------------------------------------------------

    async def start(self, *, subscribe: bool = True, digests: bool = True) -> None:
        """Start the channel workers. With `subscribe`, notify every alert published on the
        alerts topic; with `digests`, send digests every `digest_interval_s`. (Tests on a
        FakeClock call `notify` and `flush_digests` themselves instead.)"""
        if subscribe:
            await self.recover()
            sub = self._bus.subscribe(topics.ALERTS, "notifier")
            self._tasks.append(asyncio.create_task(self._consume(sub), name="notifier"))
        for name, queue in self._queues.items():
            for i in range(WORKERS_PER_CHANNEL):
                self._tasks.append(
                    asyncio.create_task(self._work(name, queue), name=f"notify-{name}-{i}")
                )
        if digests:
            self._tasks.append(asyncio.create_task(self._digests(), name="notify-digests"))

    async def recover(self) -> int:
        """After a restart: messages still pending go out again (held ones wait for their
        digest), so nothing queued before a crash is lost. Returns how many were found."""
        rows = await asyncio.to_thread(self._outbox.pending_rows)
        for row_id, channel, address, kind, payload in rows:
            alert = payload.get("alert")
            if channel not in self.channels or kind == "digest" or not isinstance(alert, dict):
                continue  # a digest caught mid-send is not rebuilt (see the README)
            if payload.get("held"):
                self._held.setdefault((channel, address), []).append((row_id, alert))
                continue
            limiter = self._limits.get(channel)
            if limiter is not None:
                limiter.take(address)  # it counts against the window like any send
            message = await self._message(channel, address, kind, alert)  # type: ignore[arg-type]  # kind was stored from a Kind
            self._queues[channel].put_nowait(Delivery(row_id, channel, message))
        return len(rows)

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []
        for channel in self.channels.values():
            await channel.close()

    async def drain(self) -> None:
        """Wait until every queued message has been delivered or dead-lettered."""
        for queue in self._queues.values():
            await queue.join()

    async def _consume(self, sub: Subscription) -> None:
        async for message in sub:
            event = message.value
            try:
                if isinstance(event, dict):
                    await self.handle(event)
            except Exception:
                log.exception("notifying %s failed", event.get("type") if event else event)
            sub.commit(message)

    async def handle(self, event: dict[str, Any]) -> None:
        alert = event.get("alert")
        if not isinstance(alert, dict):
            return
        if event.get("type") == "alert.created":
            await self.notify(alert)
        elif event.get("type") == "alert.updated" and "mqtt" in self.channels:
            await self._enqueue("mqtt", "", "update", alert)

    # -- who gets what ------------------------------------------------------------------------

    async def notify(self, alert: dict[str, Any]) -> None:
        severity = alert["severity"]
        for name in ("webhook", "mqtt"):
            if name in self.channels:
                await self._enqueue(name, "", "alert", alert)
        alarm = self.channels.get("alarm")
        if isinstance(alarm, AlarmSender) and alarm.wants(severity):
            await self._enqueue("alarm", "", "alert", alert)
        for person in self._cfg.recipients:
            if not _at_least(severity, person.min_severity) or self._quiet(person, severity):
                continue
            for channel in person.channels:
                await self._to_person(channel, person, "alert", alert)

    async def escalate(self, alert: dict[str, Any]) -> None:
        """An unacknowledged alert: to every admin on all their channels, past quiet hours."""
        if "webhook" in self.channels:
            await self._enqueue("webhook", "", "escalation", alert)
        for person in self._cfg.recipients:
            if person.admin:
                for channel in person.channels:
                    await self._to_person(channel, person, "escalation", alert)

    def _quiet(self, person: RecipientConfig, severity: str) -> bool:
        quiet = person.quiet_hours
        if quiet is None or severity == "critical":
            return False
        now_t = self._clock.now().astimezone(self._tz).time()
        return _in_window(now_t, quiet.start, quiet.end)

    async def _to_person(
        self, channel: str, person: RecipientConfig, kind: Kind, alert: dict[str, Any]
    ) -> None:
        address = getattr(person, _ADDRESS[channel])
        if channel not in self.channels or address is None:
            return
        limiter = self._limits.get(channel)
        if limiter is not None and not limiter.take(address):
            row = await asyncio.to_thread(self._outbox.insert, channel, address, kind, alert, True)
            self._held.setdefault((channel, address), []).append((row, alert))
            log.info("%s to a recipient held for a digest (rate limit)", channel)
            return
        await self._enqueue(channel, address, kind, alert)

    # -- delivery -----------------------------------------------------------------------------

    async def _enqueue(self, channel: str, address: str, kind: Kind, alert: dict[str, Any]) -> None:
        row = await asyncio.to_thread(self._outbox.insert, channel, address, kind, alert, False)
        message = await self._message(channel, address, kind, alert)
        self._queues[channel].put_nowait(Delivery(row, channel, message))

    async def _message(
        self, channel: str, address: str, kind: Kind, alert: dict[str, Any]
    ) -> Message:
        verb = {"escalation": "UNACKNOWLEDGED", "update": alert.get("status", "updated")}
        prefix = f"[{verb[kind]}] " if kind in verb else ""
        subject = f"{prefix}[{alert['severity']}] {alert['title']}"
        text = (
            f"{prefix}{alert['title']} on {alert.get('camera_name', alert['camera_id'])} at "
            f"{alert['created_at']} ({alert['severity']})."
        )
        snapshot = None
        if channel == "email" and self._store is not None:
            snapshot = await asyncio.to_thread(self._snapshot, alert["id"])
        return Message(kind, address, subject, text, alert=alert, snapshot_jpeg=snapshot)

    def _snapshot(self, alert_id: str) -> bytes | None:
        assert self._store is not None
        with self._db.session() as session:
            key = session.execute(
                select(Alert.snapshot_key).where(Alert.id == uuid.UUID(alert_id))
            ).scalar_one_or_none()
        if key is None:
            return None
        try:
            return self._store.get_bytes("snapshots", key)
        except Exception:  # a missing snapshot must not stop the email
            log.warning("snapshot %s unavailable for the email", key)
            return None

    async def _work(self, name: str, queue: asyncio.Queue[Delivery]) -> None:
        channel = self.channels[name]
        while True:
            delivery = await queue.get()
            try:
                await self._deliver(channel, delivery)
            except Exception:
                log.exception("delivery %s on %s crashed", delivery.id, name)
            finally:
                queue.task_done()

    async def _deliver(self, channel: Channel, delivery: Delivery) -> None:
        attempts = 1 + self._cfg.retries
        last_error = ""
        for attempt in range(attempts):
            try:
                await channel.send(delivery.message)
            except DeliveryError as err:
                last_error = err.detail
                await asyncio.to_thread(
                    self._outbox.failed, delivery.id, attempt + 1, last_error, False
                )
                if attempt + 1 < attempts:
                    await self._clock.sleep(self._cfg.retry_backoff_s * 2**attempt)
                continue
            await asyncio.to_thread(self._outbox.sent, delivery.id, attempt + 1)
            return
        await asyncio.to_thread(self._outbox.failed, delivery.id, attempts, last_error, True)
        log.error("%s notification %s dead after %d attempts", channel.name, delivery.id, attempts)

    # -- digests ------------------------------------------------------------------------------

    async def _digests(self) -> None:
        while True:
            await self._clock.sleep(self._cfg.digest_interval_s)
            try:
                await self.flush_digests()
            except Exception:
                log.exception("sending digests failed; trying again")

    async def flush_digests(self) -> int:
        """Send one digest per address whose limit has room again; returns how many."""
        sent = 0
        for (channel, address), held in list(self._held.items()):
            if not held or not self._limits[channel].take(address):
                continue
            del self._held[(channel, address)]
            alerts = tuple(alert for _, alert in held)
            subject = f"Vigil digest: {len(alerts)} alerts held back by the rate limit"
            text = "; ".join(f"[{a['severity']}] {a['title']} ({a['created_at']})" for a in alerts)
            row = await asyncio.to_thread(
                self._outbox.insert,
                channel,
                address,
                "digest",
                {"alerts": [a["id"] for a in alerts]},
                False,
            )
            await asyncio.to_thread(self._outbox.digested, [r for r, _ in held])
            message = Message("digest", address, subject, text, alerts=alerts)
            self._queues[channel].put_nowait(Delivery(row, channel, message))
            sent += 1
        return sent
