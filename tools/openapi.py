"""Prints the API's OpenAPI schema (JSON, sorted keys, indent 2) without starting anything.

`create_app` only reads settings while it builds the app (the API docs switch, the body cap,
the trusted proxies, the rate limits); every service is looked up when a request comes. So a
stand-in holding those settings at their defaults builds the same routes and schemas: no
database, no cameras, no network. The dashboard's types (web/src/api/schema.d.ts) are generated
from this output: `make api-types` writes web/src/api/openapi.json and regenerates them, and
`make test` fails while the checked-in files differ from what this prints.

    PYTHONPATH=src python tools/openapi.py > web/src/api/openapi.json

Only `vigil.api.app.create_app` (and the settings model in `vigil.config`) is imported by name:
the services container's class is found through `create_app`'s annotations, wherever it lives.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import typing
from types import SimpleNamespace
from typing import Any

from vigil.api.app import create_app
from vigil.config import SecurityConfig


def _settings_only_services() -> Any:
    """What `create_app` reads of its services while building the app, at the defaults."""
    services_class = typing.get_type_hints(create_app)["services"]
    rate_limits = next(f for f in dataclasses.fields(services_class) if f.name == "rate_limits")
    if not callable(rate_limits.default_factory):
        raise TypeError(f"{services_class.__name__}.rate_limits has no default")
    return SimpleNamespace(
        config=SimpleNamespace(security=SecurityConfig()),
        rate_limits=rate_limits.default_factory(),
    )


def openapi_schema() -> dict[str, Any]:
    # Whether the dashboard is built changes no schema; its "not built" warning is noise here.
    logging.getLogger("vigil.api.app").setLevel(logging.ERROR)
    app = create_app(_settings_only_services(), hub=typing.cast(Any, None))
    return app.openapi()


def main() -> None:
    sys.stdout.write(json.dumps(openapi_schema(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
