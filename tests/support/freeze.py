"""Freeze a real dependency for a while: SIGSTOP its processes, SIGCONT them afterwards.

A frozen server keeps its sockets: the kernel still accepts connections and acks data, but
nothing answers. That is the hardest failure for a client (nothing is refused, every wait
just never ends), and the one a hung host, a stalled disk or a paused VM produces.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool


@contextlib.contextmanager
def frozen(pids: Callable[[], Iterable[int]]) -> Iterator[None]:
    """Stop the processes `pids()` names, in the order it yields them (a generator may yield
    a parent, then look up its children once it is stopped and forks no more); always
    resume them, in reverse order."""
    stopped: list[int] = []
    try:
        for pid in pids():
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def children(pid: int) -> list[int]:
    """Direct children of `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (comm) state ppid ...": comm may hold spaces, so split after the ')'
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def postgres_pids(superuser_url: str) -> Callable[[], Iterator[int]]:
    """The PostgreSQL server behind `superuser_url`: its postmaster, then (asked once the
    postmaster is stopped) every backend and auxiliary process it forked."""
    engine = create_engine(superuser_url, poolclass=NullPool)
    with engine.connect() as conn:
        data = conn.execute(text("SHOW data_directory")).scalar_one()
    engine.dispose()
    postmaster = int((Path(data) / "postmaster.pid").read_text().split()[0])

    def pids() -> Iterator[int]:
        yield postmaster
        yield from children(postmaster)  # looked up once the postmaster is stopped

    return pids
