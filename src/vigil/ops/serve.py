"""uvicorn for servers whose process owns the signals (the CLI: `up`, `edge`, `hub`, `worker`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the CLI owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
