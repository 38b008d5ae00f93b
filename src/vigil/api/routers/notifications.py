"""Notification channels of site.yaml: list them (targets masked, never secrets) and send a
real test message through one, to check the address, credentials and network path."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, SecretStr

from vigil.alerts.channels.base import DeliveryError, Message
from vigil.alerts.notify import build_channels
from vigil.api.deps import Admin, CurrentUser, Services, client_ip
from vigil.api.schemas import ErrorBody
from vigil.config.alerts import AlertsConfig, ChannelsConfig, RecipientConfig
from vigil.errors import NotFoundError

router = APIRouter(prefix="/notifications", tags=["notifications"])
ChannelType = Literal["email", "sms", "push", "webhook", "mqtt", "alarm"]
_CHANNELS: tuple[ChannelType, ...] = ("email", "sms", "push", "webhook", "mqtt", "alarm")
_PERSONAL = {"email": "email", "sms": "phone", "push": "push_token"}
_TEST_TIMEOUT_S = 30.0


class ChannelPublic(BaseModel):
    name: ChannelType = Field(description="The channel's key under alerts.channels.")
    type: ChannelType
    target: str = Field(
        description="Where it sends, masked (no secrets, no URL paths or tokens).",
        examples=["https://hooks.example.com/…"],
    )
    recipients: int | None = Field(
        description="People (alerts.recipients) who receive alerts on it; null for site-wide "
        "channels, which get every alert."
    )


class TestResult(BaseModel):
    delivered: bool
    detail: str = Field(examples=["sent to 1 recipient(s): a***@example.com"])


def _url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def _mask(address: str) -> str:
    if "@" in address:
        user, _, domain = address.partition("@")
        return f"{user[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}" if len(address) > 6 else "***"


def _target(name: ChannelType, cfg: Any) -> str:
    if name == "webhook":
        return _url(cfg.url)
    if name == "email":
        return f"SMTP {cfg.host}:{cfg.port}, from {_mask(cfg.sender)}"
    if name == "sms":
        return f"{_url(cfg.url)} from {_mask(cfg.sender)}"
    if name == "push":
        project = cfg.project_id or "of the service account"
        return f"FCM project {project} at {_url(cfg.url)}"
    if name == "mqtt":
        return f"mqtt://{cfg.host}:{cfg.port} under {cfg.topic_prefix}/"
    return f"runs {os.path.basename(cfg.command[0])}"


def _people(alerts: AlertsConfig, name: ChannelType) -> list[RecipientConfig] | None:
    if name not in _PERSONAL:
        return None
    field = _PERSONAL[name]
    return [r for r in alerts.recipients if name in r.channels and getattr(r, field)]


def _scrub(text: str, cfg: BaseModel) -> str:
    """Remove the channel's secrets (and its URL, whose path may be a token) from `text`."""
    for value in cfg.__dict__.values():
        secret = value.get_secret_value() if isinstance(value, SecretStr) else None
        if secret:
            text = text.replace(secret, "***")
    url = getattr(cfg, "url", None)
    if isinstance(url, str) and url:
        text = text.replace(url, _url(url))
    return text


def _configured(services: Services, name: str) -> tuple[ChannelType, BaseModel]:
    channels = services.config.alerts.channels
    for channel in _CHANNELS:
        cfg = getattr(channels, channel)
        if channel == name and cfg is not None:
            return channel, cfg
    configured = [c for c in _CHANNELS if getattr(channels, c) is not None]
    raise NotFoundError(
        f"no notification channel {name!r}; configured in site.yaml (alerts.channels): "
        f"{', '.join(configured) or 'none'}"
    )


@router.get("/channels")
async def list_channels(services: Services, _user: CurrentUser) -> list[ChannelPublic]:
    """The channels configured in site.yaml (alerts.channels)."""
    alerts = services.config.alerts
    out = []
    for name in _CHANNELS:
        cfg = getattr(alerts.channels, name)
        if cfg is not None:
            people = _people(alerts, name)
            out.append(
                ChannelPublic(
                    name=name,
                    type=name,
                    target=_target(name, cfg),
                    recipients=None if people is None else len(people),
                )
            )
    return out


@router.post("/channels/{name}/test", responses={404: {"model": ErrorBody}})
async def test_channel(
    name: Annotated[str, Path(max_length=32)], request: Request, services: Services, admin: Admin
) -> TestResult:
    """Send a real test message through the channel: to each recipient who uses it (email,
    SMS, push) or to its one target (webhook, MQTT, alarm program). The message is an alert
    of type `test`, severity info, already resolved, on camera `test`."""
    channel, cfg = _configured(services, name)
    alerts = services.config.alerts
    people = _people(alerts, channel)
    result = await _send(services, channel, cfg, people)
    await services.audit.record(
        "notifications.test",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success" if result.delivered else "failure",
        resource=f"notifications/channels/{channel}",
        details={"delivered": result.delivered},
    )
    return result


async def _send(
    services: Services,
    channel: ChannelType,
    cfg: BaseModel,
    people: list[RecipientConfig] | None,
) -> TestResult:
    if people is not None and not people:
        return TestResult(
            delivered=False,
            detail=f"no recipient (alerts.recipients) has {channel} among their channels "
            f"with a {_PERSONAL[channel]}: nobody to send a test to",
        )
    now = services.clock.now()
    alert = {
        "id": "test",
        "camera_id": "test",
        "type": "test",
        "severity": "info",
        "status": "resolved",
        "title": "Vigil test message",
        "created_at": now.isoformat(),
    }
    text = (
        f"A test of the {channel} channel of {services.config.site.name}, sent at {now:%H:%M} UTC."
    )
    addresses = [getattr(p, _PERSONAL[channel]) for p in people] if people is not None else [""]
    only = AlertsConfig(channels=ChannelsConfig.model_validate({channel: cfg}))
    sender = build_channels(only, services.clock)[channel]
    try:
        for address in addresses:
            message = Message("alert", address, "Vigil test message", text, alert=alert)
            await asyncio.wait_for(sender.send(message), _TEST_TIMEOUT_S)
    except DeliveryError as err:
        return TestResult(delivered=False, detail=_scrub(err.detail, cfg))
    except TimeoutError:
        return TestResult(delivered=False, detail=f"no answer within {_TEST_TIMEOUT_S:.0f} s")
    finally:
        await sender.close()
    if people is None:
        return TestResult(delivered=True, detail=f"sent to {_target(channel, cfg)}")
    masked = ", ".join(_mask(a) for a in addresses)
    return TestResult(delivered=True, detail=f"sent to {len(addresses)} recipient(s): {masked}")
