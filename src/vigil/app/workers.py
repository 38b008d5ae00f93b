"""Worker processes of a cluster: one stage each, scaled out over Kafka consumer groups.

`vigil worker --role analytics|notify|inference` runs only that stage (the stages of its role in
`vigil.app.runtime.ROLES`, started by the same `Vigil` as a site), against the hub's
PostgreSQL (`VIGIL_DATABASE_URL`) and the Kafka bus (`VIGIL_KAFKA_BOOTSTRAP`); both are
required. Objects (snapshots, clips, training samples) go to S3 when `VIGIL_S3_ENDPOINT` is
set (vigil.storage.select), else under the data directory. Workers of one role and site
share one consumer group (`<site id>.<stage>`), so Kafka spreads the topic's partitions
(cameras) over them and moves a dead worker's partitions to the others. Each worker serves
/health/live, /health/ready, /health/startup and /metrics.

- analytics: detections -> rule engine -> events and alerts (IncidentRecorder), plus the
  alert requests of other stages; rules reload live like the hub's.
- notify: alerts -> notification channels, and escalation.
- inference: frames (JPEG over Kafka) -> detector -> detections.
"""

from __future__ import annotations

import logging
from typing import Final

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vigil.bus.select import BOOTSTRAP_ENV, kafka_bootstrap
from vigil.errors import ConfigError
from vigil.ops.health import HealthRegistry

log = logging.getLogger(__name__)

DATABASE_ENV: Final = "VIGIL_DATABASE_URL"


def require_cluster(database_url: str | None) -> str:
    """The database URL; a clear error when the database or Kafka is not configured."""
    missing = []
    if not database_url:
        missing.append((DATABASE_ENV, "missing: a worker uses the hub's PostgreSQL; set its URL"))
    if kafka_bootstrap() is None:
        missing.append((BOOTSTRAP_ENV, "missing: a worker reads its stage's Kafka topics; "
                                       "set host:port of the brokers"))  # fmt: skip
    if missing:
        raise ConfigError("environment", missing)
    assert database_url is not None
    return database_url


def health_app(health: HealthRegistry) -> FastAPI:
    """/health/live, /health/startup, /health/ready and /metrics, as the API serves them."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/startup")
    async def startup() -> JSONResponse:
        ok = health.started
        return JSONResponse({"status": "ok" if ok else "starting"}, 200 if ok else 503)

    @app.get("/health/ready")
    async def ready() -> JSONResponse:
        status, components = await health.report()
        body = {
            "status": status,
            "components": {
                k: {"status": v.status, "detail": v.detail} for k, v in components.items()
            },
        }
        return JSONResponse(body, 503 if status == "down" or not health.started else 200)

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
