"""Request and response bodies of /api/v1 (pydantic at the edge; `extra="forbid"` on input)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigil.model.messages import AlertView
from vigil.model.views import EventPublic


class Input(BaseModel):
    """Request bodies: unknown keys refused; NUL characters refused (no text column can hold
    them, and no legitimate name contains one)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class LoginRequest(Input):
    username: str = Field(min_length=1, max_length=150, examples=["admin"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct-horse-battery"])
    otp: str | None = Field(
        None,
        max_length=32,
        description="Authenticator code (or a recovery code) when the "
        "account has two-factor sign-in; the server answers 401 with mfa_required otherwise.",
    )


class UserPublic(BaseModel):
    id: str
    username: str
    role: Literal["admin", "operator", "viewer"]


class LoginResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserPublic
    mfa_enrollment_required: bool = Field(
        False, description="This admin must enrol two-factor sign-in before anything else."
    )


class DetectionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    class_: str = Field(alias="class", serialization_alias="class")
    confidence: float
    bbox: tuple[float, float, float, float] = Field(
        description="x1, y1, x2, y2 normalised to 0..1, origin top-left."
    )
    track_id: int | None = None


class CameraPublic(BaseModel):
    id: str
    name: str
    channel: int | None = Field(
        description="DVR channel; null for a camera added through the API with its own URL."
    )
    stream: Literal[0, 1] = Field(0, description="0 = main stream, 1 = sub stream.")
    own_url: bool = Field(
        False, description="Pulled from its own RTSP URL (not on the DVR): channel is unused."
    )
    source: Literal["config", "api"] = Field(
        "config",
        description="config: from site.yaml (read-only here: edit the file and restart); "
        "api: added through the API (PATCH, DELETE).",
    )
    defined_in: str | None = Field(
        None, description="Where site.yaml defines a config camera, e.g. cameras[2]."
    )
    enabled: bool = True
    url_masked: str | None = Field(
        None,
        description="The camera's own RTSP URL with its password as ***; null for a DVR "
        "channel. Sending it back unchanged in a PATCH keeps the stored password.",
    )
    display_aspect_setting: Literal["auto", "16:9", "4:3", "native"] = Field(
        "auto", description="The display_aspect setting (display_aspect is its result)."
    )
    status: Literal["online", "offline", "reconnecting", "connecting", "auth_failed", "disabled"]
    status_detail: str | None
    last_frame_at: datetime | None
    fps: float | None
    width: int | None
    height: int | None
    display_aspect: float | None = Field(
        description="Width/height to display the picture at (DVR half-width modes are 16:9)."
    )
    detections: list[DetectionPublic]


class AlertCounts(BaseModel):
    new: int
    acknowledged: int
    resolved: int


class AlertPage(BaseModel):
    items: list[AlertView]
    next_cursor: str | None


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None


class ComponentPublic(BaseModel):
    status: Literal["ok", "degraded", "down"]
    detail: str | None


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded", "down"]
    components: dict[str, ComponentPublic]


class ErrorBody(BaseModel):
    detail: str
