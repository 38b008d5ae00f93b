"""Property-based fuzzing of the whole API from its OpenAPI schema (schemathesis): no 5xx,
and every response matches the schema, for anonymous callers and for a signed-in admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.api import api_for_tests
from vigil.api.ratelimit import RateLimitConfig
from vigil.db.session import Database
from vigil.demo import demo_config

_UNLIMITED = RateLimitConfig(
    anonymous_per_minute=100_000,
    api_key_per_minute=100_000,
    user_per_minute=100_000,
    ip_ceiling_per_minute=100_000,
)
EXAMPLES_PER_OPERATION = 10


def test_api_never_fails_and_matches_its_schema(db: Database, tmp_path: Path) -> None:
    failures: list[str] = []
    config = demo_config(8554, "pw", channels=2)
    config = config.model_copy(  # the schema is served only where a site turns docs on
        update={"security": config.security.model_copy(update={"api_docs": True})}
    )
    with api_for_tests(db, tmp_path, rate_limits=_UNLIMITED, config=config) as api:
        admin = api.login("admin")
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", api.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def run(case: Any) -> None:
                for headers in ({}, admin):
                    response = case.call(headers={**headers, "X-Requested-With": "vigil"})
                    assert response.status_code < 500, response.text[:300]
                    # Schema-valid input may still break a business rule (a wrong MFA code, a
                    # camera that does not exist): those are 4xx by design, not failures.
                    case.validate_response(response, excluded_checks=[positive_data_acceptance])

            try:
                run()
            except Exception as err:  # collect, so one run reports every broken operation
                failures.append(f"{operation.method.upper()} {operation.path}: {err}"[:1500])
    assert not failures, "\n\n".join(failures)
