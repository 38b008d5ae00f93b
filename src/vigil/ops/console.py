"""What a command tells people, in the log format chosen (ops/logging.py).

With console logs, messages are rich markup on stderr, never wrapped by rich (the terminal
wraps a long line; a verdict stays one line whatever the width), and one-off start-up work
shows as progress steps when stderr is a terminal. With JSON logs, messages become log
records, so that stderr stays one JSON object per line; a secret shown once (the first
admin's password) goes to stdout as plain text instead, never into a log record.
"""

from __future__ import annotations

import logging
from typing import Literal

import typer
from rich.console import Console
from rich.text import Text

from vigil.ops.progress import NO_STEPS, Steps, TerminalSteps

log = logging.getLogger("vigil.cli")


def cli_console() -> Console:
    """The CLI's stderr console: no hard wrapping at its idea of the width."""
    return Console(stderr=True, soft_wrap=True)


class Output:
    def __init__(self, console: Console, log_format: Literal["json", "console"]) -> None:
        self.console = console
        self.json = log_format == "json"
        self._terminal = TerminalSteps(console) if not self.json and console.is_terminal else None
        self.steps: Steps = self._terminal or NO_STEPS

    def say(self, markup: str, level: int = logging.INFO) -> None:
        """One message: markup on the console, or a log record of its plain text."""
        if self.json:
            log.log(level, "%s", Text.from_markup(markup).plain.strip())
        else:
            self.console.print(markup)

    def secret(self, markup: str) -> None:
        """A message holding a secret: on the console, or as plain text on stdout (not a
        log record: log records are kept and shipped)."""
        if self.json:
            typer.echo(Text.from_markup(markup).plain.strip())
        else:
            self.console.print(markup)

    def done_starting(self) -> None:
        """Stop drawing the start-up steps (they stay on screen, ticked off)."""
        if self._terminal is not None:
            self._terminal.close()
