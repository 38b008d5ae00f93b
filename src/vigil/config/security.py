"""The `security:` section: sign-in, tokens, lockout, allowed networks."""

from __future__ import annotations

import ipaddress

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from vigil.config.base import (
    Base,
)


class SecurityConfig(Base):
    """Sign-in and API protection."""

    require_admin_mfa: bool = Field(
        True,
        description="Admins must enrol an authenticator app before they can do anything else.",
    )
    anonymous_requests_per_minute: int = Field(
        100, ge=1, description="Per client address, for calls without credentials."
    )
    api_key_requests_per_minute: int = Field(1000, ge=1, description="Per API key.")
    uplink_requests_per_minute: int = Field(
        6000,
        ge=1,
        description="Per edge API key on /api/v1/ingest: an edge catching up after an outage "
        "sends one request per recorded segment (about 3 400 for an hour of 8 cameras).",
    )
    session_requests_per_minute: int = Field(
        3000, ge=1, description="Per signed-in session (the dashboard polls live tiles)."
    )
    redis_url: SecretStr | None = Field(
        None, description="Share rate-limit counters across API replicas (cluster)."
    )
    metrics_token: SecretStr | None = Field(
        None,
        title="Metrics bearer token",
        description="Prometheus sends it as 'Authorization: Bearer <token>' to /metrics (give "
        "it as ${VIGIL_METRICS_TOKEN}). /metrics names every camera, so it is never public: "
        "without this token only an admin's access token or API key may read it.",
    )
    max_body_bytes: int = Field(
        1 << 20,
        ge=4096,
        title="Largest request body",
        description="Bytes, for any request; over it the answer is 413. Uploads have their own "
        "caps (photos 10 MB each, edge segments 1 GiB, clips to verify 4 GiB).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        title="Trusted reverse proxies",
        description="Addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of the reverse proxies "
        "in front of Vigil whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty (the "
        "default): the headers are ignored and the client is the connection's peer, so nobody "
        "can pick their own address for rate limits and the audit log.",
    )
    api_docs: bool = Field(
        False,
        title="Public API docs",
        description="Serve the interactive API docs (/api/docs) and the OpenAPI schema "
        "(/api/openapi.json) to anyone who can reach the site. Off: neither is served.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for i, item in enumerate(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as err:
                raise ValueError(
                    f"[{i}]: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from err
        return value
