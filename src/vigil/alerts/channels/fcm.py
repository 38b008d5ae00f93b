"""FCM HTTP v1 credentials: a Firebase service account whose OAuth 2 access tokens (about an
hour each) google-auth mints and refreshes, or (deprecated) one fixed token from the config.

google-auth signs the JWT-bearer assertion and parses the token endpoint's answer; its own
transports need `requests` or `urllib3`, which Vigil does not depend on, so `HttpxRequest`
gives it the `google.auth.transport.Request` interface over httpx (Vigil's HTTP client).
Key material and tokens never reach logs or error messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from vigil.alerts.channels.base import DeliveryError
from vigil.config.alerts import PushChannel
from vigil.errors import ConfigError

logger = logging.getLogger(__name__)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_WHERE = "alerts.channels.push"
_REQUIRED = ("client_email", "private_key", "token_uri")


class _HttpxResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxRequest(google.auth.transport.Request):
    """google-auth's transport interface over a synchronous httpx client (google-auth calls
    it from `Credentials.refresh`, which Vigil runs in a worker thread)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else self._client.timeout,
            )
        except httpx.HTTPError as err:
            detail = f"{type(err).__name__}: {err}"
            # google-auth's exception classes are untyped
            failure = google.auth.exceptions.TransportError(detail)  # type: ignore[no-untyped-call]
            raise failure from err
        return _HttpxResponse(response)


def service_account_info(cfg: PushChannel) -> dict[str, Any] | None:
    """The service-account key from `service_account_file` or `service_account_json`, checked
    for the fields google-auth needs; None when the channel uses a fixed token. Raises
    ConfigError naming the key (never quoting the key's contents)."""
    if cfg.service_account_file is not None:
        where = f"{_WHERE}.service_account_file"
        try:
            text = Path(cfg.service_account_file).read_text(encoding="utf-8")
        except OSError as err:
            msg = f"cannot read {cfg.service_account_file}: {err.strerror}"
            raise ConfigError("site.yaml", [(where, msg)]) from None
    elif cfg.service_account_json is not None:
        where = f"{_WHERE}.service_account_json"
        text = cfg.service_account_json.get_secret_value()
    else:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise ConfigError("site.yaml", [(where, "is not a JSON object (a service-account key)")])
    if info.get("type") != "service_account":
        msg = 'is not a service-account key (its "type" must be "service_account")'
        raise ConfigError("site.yaml", [(where, msg)])
    missing = [k for k in _REQUIRED if not isinstance(info.get(k), str) or not info[k]]
    if missing:
        raise ConfigError("site.yaml", [(where, f"lacks {', '.join(missing)}")])
    return info


class FcmAuth:
    """Bearer tokens for FCM. With a service account, a token is fetched on first use and
    again when google-auth counts it as expiring (within its refresh margin, 3 min 45 s, of
    `expires_in`) or when FCM refused it (`refresh_after`). One refresh at a time."""

    def __init__(self, cfg: PushChannel) -> None:
        self._static = cfg.access_token.get_secret_value() if cfg.access_token else None
        if self._static is not None:
            logger.warning(
                "push: %s.access_token is deprecated (FCM refuses it after about an hour); "
                "give service_account_file or service_account_json instead",
                _WHERE,
            )
        info = service_account_info(cfg)
        self._credentials: service_account.Credentials | None = None
        project = cfg.project_id
        if info is not None:
            try:
                from_info = service_account.Credentials.from_service_account_info
                self._credentials = from_info(  # type: ignore[no-untyped-call]  # untyped upstream
                    info, scopes=[FCM_SCOPE]
                )
            except (ValueError, TypeError):  # the private key does not parse; say no more
                where = (
                    f"{_WHERE}.service_account_file"
                    if cfg.service_account_file is not None
                    else f"{_WHERE}.service_account_json"
                )
                raise ConfigError(
                    "site.yaml", [(where, "holds a private_key that is not a readable PEM key")]
                ) from None
            project = project or info.get("project_id")
        if not project:
            raise ConfigError(
                "site.yaml",
                [(f"{_WHERE}.project_id", "missing (and the service account names none)")],
            )
        self.project_id: str = project
        self._client = httpx.Client(timeout=cfg.timeout_s)
        self._request = HttpxRequest(self._client)
        self._lock = asyncio.Lock()

    @property
    def refreshable(self) -> bool:
        return self._credentials is not None

    async def token(self, *, refused: str | None = None) -> str:
        """A bearer token; `refused` is one FCM answered 401 to, which is never handed out
        again (unless another caller already replaced it)."""
        if self._credentials is None:
            assert self._static is not None  # PushChannel requires one of the two
            return self._static
        creds = self._credentials
        async with self._lock:
            if not creds.valid or (refused is not None and creds.token == refused):
                try:
                    await asyncio.to_thread(creds.refresh, self._request)
                except google.auth.exceptions.GoogleAuthError as err:
                    raise DeliveryError(f"push: no FCM access token: {_safe(err)}") from None
                logger.info("push: FCM access token refreshed (expires %s UTC)", creds.expiry)
            token = creds.token
        if not token:
            raise DeliveryError("push: the token endpoint returned no access token")
        return str(token)

    def close(self) -> None:
        self._client.close()


def _safe(err: google.auth.exceptions.GoogleAuthError) -> str:
    """The error's message only (e.g. "invalid_grant: Invalid JWT Signature."): google-auth
    puts the endpoint's whole answer in its later arguments."""
    first = err.args[0] if err.args else type(err).__name__
    return f"{type(err).__name__}: {str(first)[:200]}"
