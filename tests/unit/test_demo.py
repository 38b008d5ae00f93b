"""The demo's simulator child: its output lines become log records again, tracebacks kept."""

from __future__ import annotations

import logging

from vigil.app.demo import ChildLog

HEAD = "2026-12-08 01:23:45,678"


def test_child_lines_keep_their_level_and_logger() -> None:
    child = ChildLog()
    assert child.feed(f"{HEAD} WARNING vigil.dvr.simulator.session: dvr-sim: late") == []
    (record,) = child.feed(f"{HEAD} INFO vigil.dvr.simulator.server: dvr-sim ready on x")
    assert (record.levelno, record.name, record.msg) == (
        logging.WARNING,
        "vigil.dvr.simulator.session",
        "dvr-sim: late",
    )
    (ready,) = child.flush()
    assert ready.levelno == logging.INFO and ready.msg == "dvr-sim ready on x"
    assert child.flush() == []


def test_a_traceback_after_a_record_becomes_its_exc_text() -> None:
    child = ChildLog()
    child.feed(f"{HEAD} ERROR vigil.dvr.simulator.session: dvr-sim: sender failed")
    for line in ("Traceback (most recent call last):", '  File "x.py", line 1', "OSError: x"):
        assert child.feed(line) == []
    assert child.pending
    (record,) = child.flush()
    assert record.levelno == logging.ERROR
    assert (
        record.exc_text == 'Traceback (most recent call last):\n  File "x.py", line 1\nOSError: x'
    )


def test_a_line_before_logging_is_set_up_is_kept_as_a_warning() -> None:
    child = ChildLog()
    child.feed("Traceback (most recent call last):")
    child.feed("ImportError: no module")
    (record,) = child.flush()
    assert record.levelno == logging.WARNING
    assert record.msg == "Traceback (most recent call last):"
    assert record.exc_text == "ImportError: no module"
