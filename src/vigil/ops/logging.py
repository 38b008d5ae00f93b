"""Logging: stdlib loggers rendered by structlog (JSON in production, pretty on a TTY)."""

from __future__ import annotations

import logging
import re
import sys

import structlog

_SECRET_PATTERNS = (
    (re.compile(r"(password=)[^&\s;/?]*", re.IGNORECASE), r"\1***"),
    (re.compile(r"(rtsp://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (re.compile(r"(token=)[A-Za-z0-9._~+/=-]+"), r"\1***"),
)


def redact(text: str) -> str:
    """Mask passwords and tokens that might appear in free text (a last line of defence)."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _redact_processor(
    _logger: object, _name: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def configure_logging(level: str = "INFO", *, json_logs: bool | None = None) -> None:
    """Route stdlib logging through structlog; call once at process start."""
    if json_logs is None:
        json_logs = not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_logs
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _redact_processor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "alembic.runtime.migration", "aioice", "libav"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
