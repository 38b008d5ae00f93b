"""Notification channels through the API: listed with masked targets, and a real test
message sent through one (a webhook to a local receiver), audited; failures say why without
leaking the channel's secrets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api, api_for_tests
from vigil.alerts.channels.http import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from vigil.app.demo import demo_config, free_port
from vigil.config import SiteConfig
from vigil.db.session import Database
from vigil.db.tables import AuditLog

SECRET = "hook-signing-secret"
TOKEN_PATH = "/hooks/T0KEN-in-the-path"


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[tuple[dict[str, str], bytes]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Receiver.received
    finally:
        server.shutdown()


def _api(db: Database, tmp_path: Path, hook_port: int) -> Any:
    data = demo_config(8554, "pw", channels=2).model_dump(mode="json")
    data["dvr"]["password"] = "pw"
    data["alerts"]["channels"] = {
        "webhook": {"url": f"http://127.0.0.1:{hook_port}{TOKEN_PATH}", "secret": SECRET},
        "email": {"host": "127.0.0.1", "port": 2525, "sender": "vigil@example.com",
                  "password": "smtp-password"},
    }  # fmt: skip
    return api_for_tests(db, tmp_path, config=SiteConfig.model_validate(data))


def test_channels_are_listed_without_secrets(
    db: Database, tmp_path: Path, receiver: tuple[int, list[Any]]
) -> None:
    port, _ = receiver
    with _api(db, tmp_path, port) as api:
        r = api.client.get("/api/v1/notifications/channels", headers=api.login("victor"))
    assert r.status_code == 200
    assert r.json() == [
        {"name": "email", "type": "email", "target": "SMTP 127.0.0.1:2525, from v***@example.com",
         "recipients": 0},
        {"name": "webhook", "type": "webhook", "target": f"http://127.0.0.1:{port}/…",
         "recipients": None},
    ]  # fmt: skip
    assert "T0KEN" not in r.text and SECRET not in r.text and "smtp-password" not in r.text


def test_a_test_message_goes_through_the_webhook_signed_and_audited(
    db: Database, tmp_path: Path, receiver: tuple[int, list[Any]]
) -> None:
    port, received = receiver
    api: Api
    with _api(db, tmp_path, port) as api:
        admin = api.login("admin")
        r = api.client.post("/api/v1/notifications/channels/webhook/test", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json() == {"delivered": True, "detail": f"sent to http://127.0.0.1:{port}/…"}
        [(headers, body)] = received
        payload = json.loads(body)
        assert payload["alert"]["type"] == "test" and payload["alert"]["status"] == "resolved"
        now_s = api.clock.now().timestamp()
        assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now_s)

        nobody = api.client.post("/api/v1/notifications/channels/email/test", headers=admin)
        assert nobody.json()["delivered"] is False
        assert "no recipient (alerts.recipients) has email" in nobody.json()["detail"]
        missing = api.client.post("/api/v1/notifications/channels/sms/test", headers=admin)
        assert missing.status_code == 404
        assert missing.json()["detail"] == (
            "no notification channel 'sms'; configured in site.yaml (alerts.channels): "
            "email, webhook"
        )
        with api.db.session() as session:
            rows = session.query(AuditLog).filter(AuditLog.action == "notifications.test")
            audited = [(a.resource, a.outcome) for a in rows.order_by(AuditLog.id)]
    assert audited == [
        ("notifications/channels/webhook", "success"),
        ("notifications/channels/email", "failure"),
    ]


def test_a_failed_test_says_why_without_the_secret_url(db: Database, tmp_path: Path) -> None:
    closed = free_port(0)  # nothing listens there
    with _api(db, tmp_path, closed) as api:
        r = api.client.post(
            "/api/v1/notifications/channels/webhook/test", headers=api.login("admin")
        )
    assert r.status_code == 200
    result = r.json()
    assert result["delivered"] is False and result["detail"].startswith("webhook: ConnectError")
    assert "T0KEN" not in r.text
