"""Push through FCM HTTP v1 with a service account, against a local server speaking both
Google's OAuth 2 token endpoint (JWT-bearer grant, signature checked) and FCM's send
endpoint: tokens are minted, reused, refreshed when they expire or FCM refuses them, and no
key or token reaches a log or an error message."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from tests.integration.alerts.fcm_server import (
    FCM_SCOPE,
    GOOGLE_TOKEN_AUDIENCE,
    FcmServer,
    serve_fcm,
)
from vigil.alerts.channels.base import DeliveryError, Message
from vigil.alerts.channels.http import PushSender
from vigil.config import parse_config
from vigil.config.alerts import PushChannel
from vigil.errors import ConfigError

ALERT = Message(
    kind="alert",
    recipient="device-olga",
    subject="Person at gate",
    text="Person at gate (Gate) at 23:30",
    alert={"id": "a1", "camera_id": "gate", "severity": "high", "status": "new"},
)


@pytest.fixture
def fcm() -> Iterator[FcmServer]:
    yield from serve_fcm(FcmServer())


def channel(fcm: FcmServer, **credentials: str) -> PushChannel:
    return PushChannel.model_validate({"url": fcm.url, **credentials})


async def test_a_service_account_key_file_mints_one_token_for_many_sends(
    fcm: FcmServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = fcm.write_key(tmp_path / "fcm-key.json")
    sender = PushSender(channel(fcm, service_account_file=str(key)))
    try:
        await sender.send(ALERT)
        await sender.send(ALERT)
    finally:
        await sender.close()
    assert fcm.issued() == 1  # the hour-long token is reused
    (claims,) = fcm.claims  # signed with the service account's key (checked by the server)
    assert claims["scope"] == FCM_SCOPE and claims["aud"] == GOOGLE_TOKEN_AUDIENCE
    assert [token for token, _ in fcm.sent] == ["ya29.test-1"] * 2
    _, message = fcm.sent[0]
    assert message["token"] == "device-olga" and message["data"]["id"] == "a1"
    assert message["notification"]["title"] == "Person at gate"
    assert "ya29" not in caplog.text and "PRIVATE KEY" not in caplog.text


async def test_a_token_about_to_expire_is_refreshed_before_sending(fcm: FcmServer) -> None:
    # google-auth refreshes within 3 min 45 s of expiry: a 2-minute token is already due.
    fcm.expires_in = 120
    sender = PushSender(channel(fcm, service_account_json=json.dumps(fcm.service_account())))
    try:
        await sender.send(ALERT)
        await sender.send(ALERT)
        fcm.expires_in = 3600
        await sender.send(ALERT)
        await sender.send(ALERT)
    finally:
        await sender.close()
    assert [token for token, _ in fcm.sent] == [
        "ya29.test-1",
        "ya29.test-2",
        "ya29.test-3",
        "ya29.test-3",
    ]
    assert fcm.refused == []  # refreshed ahead of time, never refused


async def test_a_token_fcm_refuses_is_refreshed_and_the_message_sent_again(
    fcm: FcmServer,
) -> None:
    sender = PushSender(channel(fcm, service_account_json=json.dumps(fcm.service_account())))
    try:
        await sender.send(ALERT)
        fcm.expire("ya29.test-1")  # its hour is up (or it was revoked)
        await sender.send(ALERT)
        await sender.send(ALERT)
    finally:
        await sender.close()
    assert fcm.refused == ["ya29.test-1"]
    assert [token for token, _ in fcm.sent] == ["ya29.test-1", "ya29.test-2", "ya29.test-2"]
    assert fcm.issued() == 2


async def test_a_key_the_token_endpoint_rejects_fails_the_send_without_quoting_it(
    fcm: FcmServer,
) -> None:
    stranger = FcmServer(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    stranger.url = fcm.url  # same token_uri, a key the endpoint does not know
    info = stranger.service_account()
    sender = PushSender(channel(fcm, service_account_json=json.dumps(info)))
    try:
        with pytest.raises(DeliveryError) as caught:
            await sender.send(ALERT)
    finally:
        await sender.close()
    assert fcm.rejected_grants == 1 and fcm.sent == []
    assert "invalid_grant" in caught.value.detail
    assert "PRIVATE KEY" not in caught.value.detail and info["private_key"][40:80] not in str(
        caught.value
    )


def test_bad_credentials_are_config_errors_naming_the_key(fcm: FcmServer, tmp_path: Path) -> None:
    info = fcm.service_account()
    broken = {**info, "private_key": info["private_key"].replace("A", "B", 20)}
    with pytest.raises(ConfigError) as caught:
        PushSender(channel(fcm, service_account_json=json.dumps(broken)))
    assert "alerts.channels.push.service_account_json" in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value) and broken["private_key"][40:80] not in str(
        caught.value
    )
    with pytest.raises(ConfigError, match=r"service_account_file: cannot read"):
        PushSender(channel(fcm, service_account_file=str(tmp_path / "missing.json")))
    with pytest.raises(ConfigError, match=r"lacks client_email"):
        no_email = {k: v for k, v in info.items() if k != "client_email"}
        PushSender(channel(fcm, service_account_json=json.dumps(no_email)))
    with pytest.raises(ValidationError, match="exactly one of"):
        channel(fcm)
    with pytest.raises(ValidationError, match="exactly one of"):
        channel(fcm, service_account_json="{}", access_token="ya29.fixed")
    assert "ya29.fixed" not in repr(channel(fcm, access_token="ya29.fixed", project_id="p"))


async def test_a_fixed_access_token_still_works_but_is_not_refreshed(fcm: FcmServer) -> None:
    fcm.live.add("ya29.fixed")  # old configs: a token made elsewhere
    sender = PushSender(channel(fcm, access_token="ya29.fixed", project_id="vigil-site"))
    try:
        await sender.send(ALERT)
        fcm.expire("ya29.fixed")
        with pytest.raises(DeliveryError, match="HTTP 401"):
            await sender.send(ALERT)
    finally:
        await sender.close()
    assert [token for token, _ in fcm.sent] == ["ya29.fixed"] and fcm.issued() == 0


async def test_the_key_inline_from_the_environment_through_site_yaml(
    fcm: FcmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_TEST_FCM_KEY", json.dumps(fcm.service_account("from-key")))
    site = parse_config(
        {
            "site": {"id": "s", "name": "S", "timezone": "UTC"},
            "dvr": {"host": "h", "username": "u", "password": "p", "channels": 1},
            "cameras": [{"id": "c1", "name": "Gate", "channel": 1}],
            "alerts": {
                "channels": {
                    "push": {"url": fcm.url, "service_account_json": "${VIGIL_TEST_FCM_KEY}"}
                }
            },
        }
    )
    push = site.alerts.channels.push
    assert push is not None and "PRIVATE" not in repr(push)
    sender = PushSender(push)
    try:
        await sender.send(ALERT)
    finally:
        await sender.close()
    assert [token for token, _ in fcm.sent] == ["ya29.test-1"]
    assert fcm.send_paths == ["/v1/projects/from-key/messages:send"]  # the key's project
