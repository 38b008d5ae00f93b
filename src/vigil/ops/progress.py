"""Progress of one-off start-up work (encoding demo footage, starting the database, loading
models), shown as spinners and bars on a terminal and left to the log elsewhere.

Code that does such work takes a `Steps` and wraps each piece in `with steps.step("…"):`,
updating it with `done/total` when it can count. `NO_STEPS` shows nothing (the log lines
say it all: JSON logs, tests); `TerminalSteps` draws a rich progress display that keeps
finished steps as a checklist with their durations.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Protocol

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class Step(Protocol):
    def update(self, completed: float, total: float | None = None) -> None:
        """`completed` of `total` units (frames, files) done; total None: unknown."""


class Steps(Protocol):
    def step(
        self, description: str, total: float | None = None
    ) -> contextlib.AbstractContextManager[Step]:
        """A piece of one-off work, shown while the block runs and ticked off after it."""


class _NoStep:
    def update(self, completed: float, total: float | None = None) -> None:
        pass


class _NoSteps:
    @contextlib.contextmanager
    def step(self, description: str, total: float | None = None) -> Iterator[Step]:
        yield _NoStep()


NO_STEPS: Steps = _NoSteps()


class _TerminalStep:
    def __init__(self, progress: Progress, task: TaskID, total: float | None) -> None:
        self._progress = progress
        self._task = task
        self.total = total

    def update(self, completed: float, total: float | None = None) -> None:
        if total is not None:
            self.total = total
        self._progress.update(self._task, total=self.total, completed=completed)


class _StateColumn(SpinnerColumn):
    """A spinner while a step runs, then ✓ (done), ✗ (failed) or … (interrupted)."""

    def render(self, task: Task) -> RenderableType:
        ended = task.fields.get("ended")
        if ended == "failed":
            return Text("✗", style="red")
        if ended == "interrupted":
            return Text("…", style="yellow")
        return super().render(task)


class TerminalSteps:
    """Steps drawn on `console` (a terminal) until `close()`; a context manager too.

    Log lines written to stderr meanwhile appear above the display (rich redirects it).
    Safe to call from worker threads.
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            _StateColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            redirect_stderr=True,
            redirect_stdout=True,
        )
        self._lock = threading.Lock()
        self._started = False

    def __enter__(self) -> TerminalSteps:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def step(self, description: str, total: float | None = None) -> Iterator[Step]:
        with self._lock:
            if not self._started:
                self._progress.start()
                self._started = True
        task = self._progress.add_task(description, total=total)
        handle = _TerminalStep(self._progress, task, total)
        try:
            yield handle
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._progress.update(
                task, description=f"{description}: interrupted", ended="interrupted"
            )
            self._progress.stop_task(task)
            raise
        except BaseException:
            self._progress.update(
                task, description=f"[red]{description}: failed[/red]", ended="failed"
            )
            self._progress.stop_task(task)
            raise
        done = handle.total or 1.0
        self._progress.update(task, total=done, completed=done)
        self._progress.stop_task(task)

    def close(self) -> None:
        """Stop drawing; the finished steps stay on the screen."""
        with self._lock:
            if self._started:
                self._progress.stop()
                self._started = False
