"""Prints the API's OpenAPI schema (JSON, sorted keys, indent 2) without starting anything.

`create_app` only reads settings while building the app (the API docs switch, the body cap, the
trusted proxies, the rate limits); every other service is looked up when a request comes. So a
stand-in holding those settings, at their defaults, builds the same routes and schemas: no
database, no cameras, no network. The dashboard's types (web/src/api/schema.d.ts) are generated
from this output: `make api-types` writes web/src/api/openapi.json and regenerates them.

    PYTHONPATH=src python tools/openapi.py > web/src/api/openapi.json
"""

from __future__ import annotations

import json
import logging
import sys
from types import SimpleNamespace
from typing import cast

from vigil.api.app import create_app
from vigil.api.deps import ApiServices
from vigil.api.ratelimit import RateLimitConfig
from vigil.api.ws import AlertHub
from vigil.config import SecurityConfig


def openapi_schema() -> dict[str, object]:
    services = SimpleNamespace(
        config=SimpleNamespace(security=SecurityConfig()), rate_limits=RateLimitConfig()
    )
    # Whether the dashboard is built changes no schema; its "not built" warning is noise here.
    logging.getLogger("vigil.api.app").setLevel(logging.ERROR)
    app = create_app(cast(ApiServices, services), cast(AlertHub, None))
    return app.openapi()


def main() -> None:
    sys.stdout.write(json.dumps(openapi_schema(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
