"""Vigil's one error root. Subclasses carry what a user needs to fix the problem."""

from __future__ import annotations


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
    """A detection model could not be loaded or run."""
