"""Notifications through real servers: HTTP providers (webhook, Twilio-style SMS, FCM v1
push), SMTP with STARTTLS (aiosmtpd), MQTT (mosquitto) and a local alarm program.

Retries sleep on the injected FakeClock, so backoff costs no wall time."""

from __future__ import annotations

import asyncio
import email
import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import aiomqtt
import numpy as np
import pytest
from sqlalchemy import select

from tests.integration.alerts.fcm_server import FcmServer, serve_fcm
from tests.integration.alerts.servers import (
    HttpProvider,
    Mailbox,
    run_mosquitto,
    serve_http,
    serve_smtp,
)
from vigil.alerts.channels.http import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.notify import Notifier
from vigil.alerts.service import AlertService
from vigil.bus import MemoryBus
from vigil.clock import FakeClock
from vigil.config.alerts import AlertsConfig
from vigil.db.session import Database
from vigil.db.tables import Notification
from vigil.model.messages import AlertRequest
from vigil.storage import FsObjectStore

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata
KOLKATA = ZoneInfo("Asia/Kolkata")
SECRET = "webhook-secret"


@pytest.fixture
def provider() -> Iterator[HttpProvider]:
    yield from serve_http(HttpProvider())


@pytest.fixture
def webhook() -> Iterator[HttpProvider]:
    yield from serve_http(HttpProvider())


@pytest.fixture
def fcm() -> Iterator[FcmServer]:
    yield from serve_fcm(FcmServer())


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    yield from serve_smtp(tmp_path)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    yield from run_mosquitto(tmp_path)


class Site:
    def __init__(self, db: Database, tmp: Path, cfg: dict[str, Any]) -> None:
        self.clock = FakeClock(NOW)
        self.bus = MemoryBus(self.clock)
        self.store = FsObjectStore(tmp / "objects")
        self.recorder = IncidentRecorder(db, self.store, self.bus, self.clock)
        self.alerts = AlertService(db, self.bus, self.clock)
        self.db = db
        self.notifier = Notifier(
            db, self.bus, self.clock, AlertsConfig.model_validate(cfg), KOLKATA, self.store
        )
        self._n = 0

    async def alert(self, severity: str = "high", image: bool = False) -> dict[str, Any]:
        self._n += 1
        key = f"test/{self._n}"
        picture = np.full((108, 96, 3), 80, np.uint8) if image else None
        request = AlertRequest(
            key,
            "gate",
            "zone_intrusion",
            severity,
            f"Person at gate #{self._n}",
            NOW,
            image=picture,
        )
        await self.recorder.raise_alert(request)
        views = await self.alerts.query()
        return next(v.to_json() for v in views if v.title.endswith(f"#{self._n}"))

    def rows(self) -> list[Notification]:
        with self.db.session() as session:
            rows = list(
                session.execute(select(Notification).order_by(Notification.created_at)).scalars()
            )
            session.expunge_all()
            return rows


@pytest.fixture
async def started() -> AsyncIterator[list[Notifier]]:
    running: list[Notifier] = []
    yield running
    for notifier in running:
        await notifier.stop()


def _people(**over: Any) -> list[dict[str, Any]]:
    return [
        {
            "username": "olga",
            "email": "olga@site.example",
            "phone": "+15550001",
            "push_token": "tok-olga",
            "channels": ["email", "sms", "push"],
            "min_severity": "medium",
            **over,
        }
    ]


async def test_every_channel_delivers_in_its_providers_format(
    db: Database,
    tmp_path: Path,
    provider: HttpProvider,
    webhook: HttpProvider,
    fcm: FcmServer,
    mailbox: Mailbox,
    broker: int,
    started: list[Notifier],
) -> None:
    alarm_out = tmp_path / "alarm.json"
    cfg = {
        "channels": {
            "webhook": {"url": f"{webhook.url}/hooks/vigil", "secret": SECRET},
            "sms": {
                "url": provider.url,
                "account_sid": "AC123",
                "auth_token": "tw",
                "sender": "+1555",
            },
            "push": {"url": fcm.url, "service_account_json": json.dumps(fcm.service_account())},
            "email": {
                "host": "127.0.0.1",
                "port": mailbox.port,
                "sender": "vigil@site.example",
                "validate_certs": False,
            },
            "mqtt": {"host": "127.0.0.1", "port": broker},
            "alarm": {
                "command": [
                    sys.executable,
                    "-c",
                    f"import sys; open({str(alarm_out)!r}, 'wb').write(sys.stdin.buffer.read())",
                ],
                "min_severity": "high",
            },
        },
        "recipients": _people(),
    }
    site = Site(db, tmp_path, cfg)
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)
    alert = await site.alert("high", image=True)
    await site.notifier.notify(alert)
    await site.notifier.drain()

    (hook,) = webhook.requests
    assert hook.path == "/hooks/vigil"
    assert verify(
        SECRET,
        hook.headers[TIMESTAMP_HEADER],
        hook.body,
        hook.headers[SIGNATURE_HEADER],
        NOW.timestamp(),
    )
    assert not verify(
        SECRET,
        hook.headers[TIMESTAMP_HEADER],
        hook.body,
        hook.headers[SIGNATURE_HEADER],
        NOW.timestamp() + 3600,
    )  # a replay an hour later
    assert not verify(
        SECRET,
        hook.headers[TIMESTAMP_HEADER],
        hook.body + b" ",
        hook.headers[SIGNATURE_HEADER],
        NOW.timestamp(),
    )
    assert json.loads(hook.body)["alert"]["id"] == alert["id"]

    by_path = {r.path: r for r in provider.requests}
    sms = by_path["/2010-04-01/Accounts/AC123/Messages.json"]
    form = parse_qs(sms.body.decode())
    assert form["To"] == ["+15550001"] and form["From"] == ["+1555"]
    assert "Person at gate #1" in form["Body"][0]
    assert sms.headers["Authorization"].startswith("Basic ")
    assert fcm.send_paths == ["/v1/projects/vigil-site/messages:send"]
    ((token, body),) = fcm.sent  # with a token minted from the service account
    assert token == "ya29.test-1" and fcm.issued() == 1
    assert body["token"] == "tok-olga" and body["data"]["id"] == alert["id"]
    assert "Person at gate #1" in body["notification"]["title"]

    (mail,) = mailbox.messages
    assert mailbox.tls_used == [True]  # STARTTLS before the message
    assert mail.rcpt_tos == ["olga@site.example"]
    parsed = email.message_from_bytes(mail.original_content or b"")
    types = [p.get_content_type() for p in parsed.walk()]
    assert "text/html" in types and "image/jpeg" in types

    async with aiomqtt.Client("127.0.0.1", broker) as client:
        await client.subscribe("vigil/gate/alert/state")
        async with asyncio.timeout(10):
            async for message in client.messages:
                assert message.retain and message.payload == b"ON"
                break

    assert json.loads(alarm_out.read_bytes())["alert"]["id"] == alert["id"]
    assert {r.channel: r.status for r in site.rows()} == {
        c: "sent" for c in ("webhook", "sms", "push", "email", "mqtt", "alarm")
    }


async def test_retries_then_dead_letter(
    db: Database, tmp_path: Path, webhook: HttpProvider, started: list[Notifier]
) -> None:
    site = Site(db, tmp_path, {"channels": {"webhook": {"url": webhook.url, "secret": SECRET}}})
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)
    webhook.fail_next = 2
    await site.notifier.notify(await site.alert())
    await site.notifier.drain()
    (row,) = site.rows()
    assert (row.status, row.attempts) == ("sent", 3)  # two failures, then delivered

    webhook.always_fail = True
    before = site.clock.now()
    await site.notifier.notify(await site.alert())
    await site.notifier.drain()
    dead = await site.alerts.dead_letters()
    assert len(dead) == 1 and dead[0].attempts == 4  # the first try and 3 retries
    assert dead[0].last_error is not None and "HTTP 503" in dead[0].last_error
    assert (site.clock.now() - before).total_seconds() == 1 + 2 + 4  # exponential backoff
    assert await site.alerts.pending_notifications() == 0


async def test_rate_limits_hold_the_excess_for_a_digest(
    db: Database, tmp_path: Path, provider: HttpProvider, mailbox: Mailbox, started: list[Notifier]
) -> None:
    cfg = {
        "channels": {
            "sms": {"url": provider.url, "account_sid": "AC1", "auth_token": "t", "sender": "+1"},
            "email": {
                "host": "127.0.0.1",
                "port": mailbox.port,
                "sender": "v@x",
                "validate_certs": False,
            },
        },
        "recipients": _people(channels=["sms", "email"]),
    }
    site = Site(db, tmp_path, cfg)
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)
    for _ in range(12):
        await site.notifier.notify(await site.alert())
    await site.notifier.drain()
    assert len(provider.requests) == 1  # 1 SMS per phone per 5 minutes
    assert len(mailbox.messages) == 10  # 10 emails per address per hour
    assert await site.alerts.pending_notifications() == 11 + 2  # held, not lost

    site.clock.advance(299)
    assert await site.notifier.flush_digests() == 0
    site.clock.advance(1)
    assert await site.notifier.flush_digests() == 1  # the SMS window has room again
    await site.notifier.drain()
    digest = parse_qs(provider.requests[-1].body.decode())["Body"][0]
    assert all(f"#{n}" in digest for n in range(2, 13))
    site.clock.advance(3600)
    assert await site.notifier.flush_digests() == 1  # the email hour is over
    await site.notifier.drain()
    assert len(mailbox.messages) == 11
    statuses = [r.status for r in site.rows()]
    assert statuses.count("digested") == 11 + 2 and statuses.count("pending") == 0


async def test_a_failing_channel_never_delays_another(
    db: Database,
    tmp_path: Path,
    provider: HttpProvider,
    webhook: HttpProvider,
    started: list[Notifier],
) -> None:
    cfg = {
        "channels": {
            "webhook": {"url": webhook.url, "secret": SECRET},
            "sms": {"url": provider.url, "account_sid": "AC1", "auth_token": "t", "sender": "+1"},
        },
        "recipients": _people(channels=["sms"]),
    }
    site = Site(db, tmp_path, cfg)
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)
    webhook.hold = True  # the webhook receiver hangs
    await site.notifier.notify(await site.alert())
    await asyncio.to_thread(webhook.arrived.wait, 30)
    await asyncio.to_thread(provider.arrived.wait, 30)
    await asyncio.sleep(0.2)
    # The SMS went out while the webhook request is still hanging.
    assert len(provider.requests) == 1 and webhook.requests == []
    webhook.release.set()
    await site.notifier.drain()
    assert len(webhook.requests) == 1


async def test_preferences_severity_quiet_hours_and_escalation(
    db: Database, tmp_path: Path, provider: HttpProvider, started: list[Notifier]
) -> None:
    people = [
        {"username": "olga", "phone": "+1001", "channels": ["sms"], "min_severity": "high"},
        {
            "username": "night",
            "phone": "+1002",
            "channels": ["sms"],
            "min_severity": "low",
            "quiet_hours": {"start": "23:00", "end": "07:00"},  # it is 23:30 on site
        },
        {
            "username": "boss",
            "phone": "+1003",
            "channels": ["sms"],
            "min_severity": "critical",
            "admin": True,
        },
    ]
    cfg = {
        "channels": {
            "sms": {"url": provider.url, "account_sid": "A", "auth_token": "t", "sender": "+1"}
        },
        "recipients": people,
        "sms_interval_s": 0,
    }
    site = Site(db, tmp_path, cfg)
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)

    def phones() -> list[str]:
        return sorted(parse_qs(r.body.decode())["To"][0] for r in provider.requests)

    await site.notifier.notify(await site.alert("medium"))
    await site.notifier.drain()
    assert phones() == []  # below olga's and boss's levels; night is in quiet hours
    await site.notifier.notify(await site.alert("critical"))
    await site.notifier.drain()
    assert phones() == ["+1001", "+1002", "+1003"]  # critical breaks quiet hours
    provider.requests.clear()
    await site.notifier.escalate(await site.alert("high"))
    await site.notifier.drain()
    assert phones() == ["+1003"]  # escalations go to admins only
    assert "UNACKNOWLEDGED" in parse_qs(provider.requests[0].body.decode())["Body"][0]


async def test_pending_and_held_messages_survive_a_restart(
    db: Database, tmp_path: Path, provider: HttpProvider, started: list[Notifier]
) -> None:
    cfg = {
        "channels": {
            "sms": {"url": provider.url, "account_sid": "A", "auth_token": "t", "sender": "+1"}
        },
        "recipients": _people(channels=["sms"]),
    }
    first = Site(db, tmp_path, cfg)
    # Not started: the first message is queued but never sent (a crash before delivery);
    # the second is held by the rate limit.
    await first.notifier.notify(await first.alert())
    await first.notifier.notify(await first.alert())
    assert provider.requests == [] and await first.alerts.pending_notifications() == 2

    second = Site(db, tmp_path, cfg)
    started.append(second.notifier)
    await second.notifier.start(subscribe=False, digests=False)
    assert await second.notifier.recover() == 2
    await second.notifier.drain()
    assert len(provider.requests) == 1  # the queued message went out after the restart
    assert await second.notifier.flush_digests() == 0  # the resent SMS counts: 5 min first
    second.clock.advance(300)
    assert await second.notifier.flush_digests() == 1  # the held one, as a digest
    await second.notifier.drain()
    assert "#2" in parse_qs(provider.requests[-1].body.decode())["Body"][0]
    assert await second.alerts.pending_notifications() == 0


async def _retained(port: int, topic: str) -> bytes:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe(topic)
        async with asyncio.timeout(10):
            async for message in client.messages:
                assert message.retain
                return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no retained message")


async def test_mqtt_camera_state_is_retained_and_cleared(
    db: Database, tmp_path: Path, broker: int, started: list[Notifier]
) -> None:
    site = Site(db, tmp_path, {"channels": {"mqtt": {"host": "127.0.0.1", "port": broker}}})
    started.append(site.notifier)
    await site.notifier.start(subscribe=False, digests=False)
    await site.recorder.raise_alert(
        AlertRequest("camera_offline:gate:1", "gate", "camera_offline", "high", "Gate offline", NOW)
    )
    (view,) = await site.alerts.query()
    await site.notifier.notify(view.to_json())
    await site.notifier.drain()
    assert await _retained(broker, "vigil/gate/availability") == b"offline"
    assert await _retained(broker, "vigil/gate/alert/state") == b"ON"
    resolved = await site.alerts.resolve(view.id, "system")
    await site.notifier.handle({"type": "alert.updated", "alert": resolved.to_json()})
    await site.notifier.drain()
    assert await _retained(broker, "vigil/gate/availability") == b"online"
    assert await _retained(broker, "vigil/gate/alert/state") == b"OFF"
