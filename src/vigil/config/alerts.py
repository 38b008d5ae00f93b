"""The `alerts` section of site.yaml: escalation, channels, recipients and their preferences."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

SeverityName = Literal["info", "low", "medium", "high", "critical"]
ChannelName = Literal["email", "sms", "push", "webhook", "mqtt", "alarm"]
LEVELS: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


PersonalChannel = Literal["email", "sms", "push"]


def _email_only() -> list[PersonalChannel]:
    return ["email"]


def _critical_after_15_min() -> dict[SeverityName, float]:
    return {"critical": 900.0}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookChannel(_Base):
    url: str = Field(description="POST target; the body is the alert as JSON.")
    secret: SecretStr = Field(description="HMAC-SHA256 key for the X-Vigil-Signature header.")
    timeout_s: float = Field(5.0, gt=0)


class EmailChannel(_Base):
    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(description="From: address.")
    timeout_s: float = Field(10.0, gt=0)
    validate_certs: bool = Field(True, description="Turn off only for a test server.")


class SmsChannel(_Base):
    url: str = Field(description="Twilio-style API base, e.g. https://api.twilio.com")
    account_sid: str
    auth_token: SecretStr
    sender: str = Field(description="The number messages come from (E.164).")
    timeout_s: float = Field(5.0, gt=0)


class PushChannel(_Base):
    """FCM HTTP v1 with a Firebase service account (its JSON key by path, or inline, e.g.
    from the environment as `${FCM_SERVICE_ACCOUNT_JSON}`); access tokens are minted and
    refreshed from it. `access_token` (a fixed token, which FCM stops taking after about an
    hour) is still read for old configs but is deprecated."""

    url: str = Field(
        "https://fcm.googleapis.com",
        description="FCM HTTP v1 base, e.g. https://fcm.googleapis.com",
    )
    project_id: str | None = Field(
        None, description="The Firebase project; default: the service account's project_id."
    )
    service_account_file: str | None = Field(
        None, description="Path of the service account's JSON key (Firebase console)."
    )
    service_account_json: SecretStr | None = Field(
        None,
        description="The service account's JSON key itself, e.g. `${FCM_SERVICE_ACCOUNT_JSON}`.",
    )
    access_token: SecretStr | None = Field(
        None,
        description="Deprecated: a fixed OAuth 2 bearer token; it expires after about an hour.",
    )
    timeout_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _one_credential(self) -> PushChannel:
        given = [
            name
            for name in ("service_account_file", "service_account_json", "access_token")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of service_account_file, service_account_json (or the "
                f"deprecated access_token); got {', '.join(given) or 'none'}"
            )
        if self.access_token is not None and not self.project_id:
            raise ValueError("project_id is required with access_token")
        return self


class MqttChannel(_Base):
    host: str
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    topic_prefix: str = Field("vigil", description="Topics: <prefix>/<camera>/alert, …/state.")


class AlarmChannel(_Base):
    command: list[str] = Field(
        min_length=1,
        description="Program run for each alert (no shell); the alert JSON is on its stdin. "
        "Works with the WAN down: a siren relay, a GPIO writer, a local speaker.",
    )
    min_severity: SeverityName = "high"
    timeout_s: float = Field(10.0, gt=0)


class ChannelsConfig(_Base):
    webhook: WebhookChannel | None = None
    email: EmailChannel | None = None
    sms: SmsChannel | None = None
    push: PushChannel | None = None
    mqtt: MqttChannel | None = None
    alarm: AlarmChannel | None = None


class QuietHours(_Base):
    start: time
    end: time


class RecipientConfig(_Base):
    """A person notified of alerts, with where and when."""

    username: str = Field(min_length=1, description="Vigil user (assignment, escalation).")
    admin: bool = Field(False, description="Receives escalations.")
    email: str | None = None
    phone: str | None = Field(None, description="E.164, for SMS.")
    push_token: str | None = Field(None, description="FCM registration token.")
    channels: list[PersonalChannel] = Field(
        default_factory=_email_only, description="Channels this person wants."
    )
    min_severity: SeverityName = "medium"
    quiet_hours: QuietHours | None = Field(
        None, description="Site-time window with no notifications below critical."
    )

    @model_validator(mode="after")
    def _addresses(self) -> RecipientConfig:
        need = {"email": self.email, "sms": self.phone, "push": self.push_token}
        for channel in self.channels:
            if need[channel] is None:
                field = {"email": "email", "sms": "phone", "push": "push_token"}[channel]
                raise ValueError(f"channel {channel!r} needs {field}")
        return self


class AlertsConfig(_Base):
    escalate_after_s: dict[SeverityName, float] = Field(
        default_factory=_critical_after_15_min,
        description="Unacknowledged this long, an alert of the severity escalates to admins.",
    )
    channels: ChannelsConfig = Field(default_factory=ChannelsConfig)
    recipients: list[RecipientConfig] = Field(default_factory=list)
    retries: int = Field(3, ge=0, le=10, description="Retries after the first attempt.")
    retry_backoff_s: float = Field(1.0, gt=0, description="First retry delay; doubles each time.")
    sms_interval_s: float = Field(300.0, ge=0, description="At most one SMS per phone per this.")
    emails_per_hour: int = Field(10, ge=1, description="Per address; the excess goes in a digest.")
    digest_interval_s: float = Field(300.0, gt=0, description="How often held messages go out.")
