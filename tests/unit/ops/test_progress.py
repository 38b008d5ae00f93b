"""Start-up steps: drawn on a terminal, finished steps ticked off; nothing elsewhere."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from vigil.ops.console import Output
from vigil.ops.progress import NO_STEPS, TerminalSteps


def _terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100, color_system=None), buffer


def test_terminal_steps_show_a_bar_and_tick_off_finished_steps() -> None:
    console, buffer = _terminal()
    with TerminalSteps(console) as steps:
        with steps.step("Encoding the demo footage", total=200) as step:
            step.update(100)
        with steps.step("Starting the database"):
            pass
    text = buffer.getvalue()
    final = text[text.rindex("Encoding the demo footage") :]
    assert "✓ Encoding the demo footage" in text and "100%" in final
    assert "✓ Starting the database" in final


def test_a_failed_step_says_so_and_the_error_goes_on() -> None:
    console, buffer = _terminal()
    steps = TerminalSteps(console)
    with steps, pytest.raises(OSError), steps.step("Starting the database"):
        raise OSError("disk full")
    assert "✗ Starting the database: failed" in buffer.getvalue()


def test_no_steps_draw_nothing() -> None:
    with NO_STEPS.step("Loading the detection model", total=3) as step:
        step.update(1)


def test_json_output_logs_messages_and_keeps_secrets_out_of_the_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    console, buffer = _terminal()
    out = Output(console, "json")
    assert out.steps is NO_STEPS  # JSON logs: the log lines say it
    with caplog.at_level(logging.INFO):
        out.say("[bold green]Vigil is running[/bold green]: open http://x")
        out.secret("first admin: user admin, password [bold]pw-123[/bold]")
    assert [r.getMessage() for r in caplog.records] == ["Vigil is running: open http://x"]
    assert "password pw-123" in capsys.readouterr().out
    assert buffer.getvalue() == ""


def test_console_output_on_a_terminal_draws_steps() -> None:
    console, buffer = _terminal()
    out = Output(console, "console")
    assert isinstance(out.steps, TerminalSteps)
    out.say("[bold]hello[/bold]")
    assert buffer.getvalue() == "hello\n"
    assert Output(Console(file=io.StringIO()), "console").steps is NO_STEPS  # not a terminal


def test_an_interrupted_step_says_so() -> None:
    console, buffer = _terminal()
    steps = TerminalSteps(console)
    with steps, pytest.raises(KeyboardInterrupt), steps.step("Encoding the demo footage"):
        raise KeyboardInterrupt
    text = buffer.getvalue()
    assert "… Encoding the demo footage: interrupted" in text and "failed" not in text
