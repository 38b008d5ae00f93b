"""The API alone, on an existing database, for `vigil bench api` (run as a child process so
the load generator does not share its interpreter).

python -m bench.api_server --database-url URL --data-dir DIR --port P
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import uvicorn

from vigil.api.app import create_app, server_config
from vigil.api.deps import ApiServices
from vigil.api.ratelimit import RateLimitConfig
from vigil.api.ws import AlertHub
from vigil.app.demo import demo_config
from vigil.app.wiring import build_api_services
from vigil.auth.security import KeyManager
from vigil.bus import MemoryBus
from vigil.clock import SystemClock
from vigil.db.session import Database
from vigil.ops.health import HealthRegistry
from vigil.storage import FsObjectStore

_UNLIMITED = RateLimitConfig(
    anonymous_per_minute=10**9,
    api_key_per_minute=10**9,
    user_per_minute=10**9,
    ip_ceiling_per_minute=10**9,
)


def build(database_url: str, data_dir: Path) -> tuple[ApiServices, AlertHub]:
    clock = SystemClock()
    db = Database(database_url, pool_size=20, max_overflow=20)
    bus = MemoryBus(clock)
    keys = KeyManager(data_dir / "keys", clock)
    keys.load_or_create()
    health = HealthRegistry()
    health.started = True
    services = build_api_services(
        config=demo_config(8554, "unused", channels=8), db=db, clock=clock, bus=bus,
        store=FsObjectStore(data_dir / "objects"), keys=keys, health=health,
        rate_limits=_UNLIMITED, require_admin_mfa=False,
    )  # fmt: skip
    return services, AlertHub(bus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    services, hub = build(args.database_url, args.data_dir)

    async def serve() -> None:
        await hub.start()
        config = server_config(
            create_app(services, hub),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
        )
        await uvicorn.Server(config).serve()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
