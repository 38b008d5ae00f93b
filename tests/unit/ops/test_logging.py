"""Log formats: JSON lines or console lines, chosen by terminal; tracebacks kept (and
masked) in both; exceptions that end a thread logged like any other error."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigil.ops.logging import configure_logging, resolve_format

SECRET = "hunter2-secret"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, threading.excepthook
    yield
    root.handlers[:], threading.excepthook = handlers, hook
    root.setLevel(level)


def _fail_deep() -> None:
    raise ValueError(f"cannot open rtsp://admin:{SECRET}@10.0.0.5:554/x?password={SECRET}")


def _log_failure() -> None:
    try:
        _fail_deep()
    except ValueError:
        logging.getLogger("vigil.test").exception("camera %s failed", "gate")


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_auto_is_console_on_a_terminal_and_json_otherwise() -> None:
    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as tty:
            assert resolve_format("auto", tty) == "console"
    finally:
        os.close(master)
        os.close(slave)
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("console", io.StringIO()) == "console"
    assert resolve_format("json", io.StringIO()) == "json"


_SNIPPET = """
import logging
from vigil.ops.logging import configure_logging
print("chosen", configure_logging("INFO"), flush=True)
logging.getLogger("vigil.probe").info("hello %s", "there")
"""


def _run_snippet(tty: bool) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    if not tty:
        done = subprocess.run(
            [sys.executable, "-c", _SNIPPET], env=env, capture_output=True, text=True, timeout=60
        )
        return done.stdout + done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SNIPPET], env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_console_lines_and_a_pipe_gets_json() -> None:
    on_tty = _run_snippet(tty=True)
    assert "chosen console" in on_tty
    line = next(x for x in on_tty.splitlines() if "hello there" in x)
    assert not line.lstrip().startswith("{") and "vigil.probe" in line

    piped = _run_snippet(tty=False)
    assert "chosen json" in piped
    record = json.loads(next(x for x in piped.splitlines() if "hello there" in x))
    assert record["event"] == "hello there" and record["level"] == "info"


def test_json_is_one_object_per_line_even_for_multi_line_messages() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("vigil.test")
    log.info("one")
    log.warning("two\nlines")
    _log_failure()
    records = _json_lines(out.getvalue())
    assert [r["event"] for r in records] == ["one", "two\nlines", "camera gate failed"]


def test_json_keeps_the_traceback_as_data_with_secrets_masked() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    _log_failure()
    (record,) = _json_lines(out.getvalue())
    (exc,) = record["exception"]
    assert exc["exc_type"] == "ValueError"
    assert "cannot open rtsp://admin:***@10.0.0.5" in exc["exc_value"]
    assert [f["name"] for f in exc["frames"]][-2:] == ["_log_failure", "_fail_deep"]
    assert all("locals" not in f for f in exc["frames"])  # locals may hold secrets
    assert SECRET not in out.getvalue()


def test_console_prints_the_traceback_with_secrets_masked() -> None:
    out = io.StringIO()
    configure_logging("INFO", "console", stream=out)
    _log_failure()
    text = out.getvalue()
    assert "camera gate failed" in text
    assert "Traceback (most recent call last)" in text
    assert "in _fail_deep" in text and "ValueError: cannot open rtsp://admin:***@" in text
    assert SECRET not in text


def test_a_traceback_sent_as_text_by_another_process_is_rendered() -> None:
    """As the ingest pool re-emits its children's records: exc_text, no exc_info."""
    record = logging.makeLogRecord(
        {"name": "vigil.remote", "levelno": logging.ERROR, "levelname": "ERROR",
         "msg": "child failed", "exc_text": "Traceback (most recent call last):\n  boom"}
    )  # fmt: skip
    for fmt in ("json", "console"):
        out = io.StringIO()
        configure_logging("INFO", fmt, stream=out)  # type: ignore[arg-type]
        logging.getLogger("vigil.remote").handle(record)
        assert "Traceback (most recent call last)" in out.getvalue()
        if fmt == "json":
            assert _json_lines(out.getvalue())[0]["exception"].endswith("boom")


def test_an_exception_that_ends_a_thread_is_logged_with_its_traceback() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    thread = threading.Thread(target=_fail_deep, name="camera-gate")
    thread.start()
    thread.join()
    (record,) = _json_lines(out.getvalue())
    assert record["event"] == "thread camera-gate failed"
    assert record["exception"][0]["frames"][-1]["name"] == "_fail_deep"
    assert SECRET not in out.getvalue()


def test_the_cli_logs_json_when_asked(tmp_path: Path) -> None:
    """`--log-format json`: every stderr line is one JSON object, errors included."""
    bad = tmp_path / "site.yaml"
    bad.write_text("site: {id: x}\ncameras: nope\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "40"}
    args = [sys.executable, "-m", "vigil.cli", "worker", "--role", "analytics", "--config"]
    done = subprocess.run(
        [*args, str(bad), "--log-format", "json"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    records = _json_lines(done.stderr)
    assert records and all(r["level"] == "error" for r in records)
    assert "cameras" in records[0]["event"]

    done = subprocess.run(
        [*args, str(bad), "--log-format", "console"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and not done.stderr.startswith("{")
    assert "cameras" in done.stderr
