"""Providers reached over HTTP: signed webhooks, Twilio-style SMS, FCM HTTP v1 push (its
credentials in `fcm`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from vigil.alerts.channels.base import DeliveryError, Message
from vigil.alerts.channels.fcm import FcmAuth
from vigil.clock import Clock
from vigil.config.alerts import PushChannel, SmsChannel, WebhookChannel

SIGNATURE_HEADER = "X-Vigil-Signature"
TIMESTAMP_HEADER = "X-Vigil-Timestamp"
REPLAY_WINDOW_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<unix seconds>." + body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now_s: float) -> bool:
    """What a receiver checks: a valid signature made within REPLAY_WINDOW_S of now."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now_s - ts) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


async def _request(client: httpx.AsyncClient, what: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await client.post(url, **kwargs)
    except httpx.HTTPError as err:
        raise DeliveryError(f"{what}: {type(err).__name__} {err}") from err


def _check(what: str, response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise DeliveryError(f"{what}: HTTP {response.status_code} {response.text[:200]}")


async def _post(client: httpx.AsyncClient, what: str, url: str, **kwargs: Any) -> None:
    _check(what, await _request(client, what, url, **kwargs))


class WebhookSender:
    name = "webhook"

    def __init__(self, cfg: WebhookChannel, clock: Clock) -> None:
        self._cfg = cfg
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=cfg.timeout_s)

    async def send(self, message: Message) -> None:
        body = json.dumps(
            {"type": message.kind, "alert": message.alert, "alerts": list(message.alerts)},
            separators=(",", ":"),
        ).encode()
        ts = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(self._cfg.secret.get_secret_value(), ts, body),
        }
        await _post(self._client, "webhook", self._cfg.url, content=body, headers=headers)

    async def close(self) -> None:
        await self._client.aclose()


class SmsSender:
    """Twilio's Messages API: form POST to /2010-04-01/Accounts/{sid}/Messages.json."""

    name = "sms"

    def __init__(self, cfg: SmsChannel) -> None:
        self._cfg = cfg
        self._client = httpx.AsyncClient(
            timeout=cfg.timeout_s, auth=(cfg.account_sid, cfg.auth_token.get_secret_value())
        )

    async def send(self, message: Message) -> None:
        url = (
            f"{self._cfg.url.rstrip('/')}/2010-04-01/Accounts/{self._cfg.account_sid}/Messages.json"
        )
        form = {"To": message.recipient, "From": self._cfg.sender, "Body": message.text[:1600]}
        await _post(self._client, "sms", url, data=form)

    async def close(self) -> None:
        await self._client.aclose()


class PushSender:
    """FCM HTTP v1: POST /v1/projects/{project}/messages:send with a bearer token from the
    service account (`FcmAuth`). A token FCM refuses (401: expired or revoked early) is
    refreshed and the message sent once more."""

    name = "push"

    def __init__(self, cfg: PushChannel) -> None:
        self._cfg = cfg
        self._auth = FcmAuth(cfg)
        self._client = httpx.AsyncClient(timeout=cfg.timeout_s)

    async def send(self, message: Message) -> None:
        url = f"{self._cfg.url.rstrip('/')}/v1/projects/{self._auth.project_id}/messages:send"
        alert: dict[str, Any] = message.alert or {}
        data = {k: str(alert[k]) for k in ("id", "camera_id", "severity", "status") if k in alert}
        body: dict[str, Any] = {
            "message": {
                "token": message.recipient,
                "notification": {"title": message.subject, "body": message.text[:1000]},
                "data": {"kind": message.kind, **data},
                "android": {"priority": "high"},
            }
        }
        token = await self._auth.token()
        response = await _request(self._client, "push", url, json=body, headers=_bearer(token))
        if response.status_code == 401 and self._auth.refreshable:
            token = await self._auth.token(refused=token)
            response = await _request(self._client, "push", url, json=body, headers=_bearer(token))
        _check("push", response)

    async def close(self) -> None:
        await self._client.aclose()
        self._auth.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
