"""Who may call what: every /api/v1 route against every role, enforced in one place.

The table below is the reference: a route missing from it fails the test, so a new endpoint
cannot ship without a decision about its role.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from tests.support.api import Api, api_for_tests
from vigil.api.deps import current_principal
from vigil.api.ratelimit import RateLimitConfig
from vigil.db.session import Database

PUBLIC, VIEWER, OPERATOR, ADMIN = "public", "viewer", "operator", "admin"
EDGE = "edge"  # an edge's API key only: every user, admins included, is refused (403)
RANK = {PUBLIC: -1, VIEWER: 0, OPERATOR: 1, ADMIN: 2, EDGE: 3}

EXPECTED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): PUBLIC,
    ("POST", "/api/v1/auth/mfa/enroll"): VIEWER,
    ("POST", "/api/v1/auth/mfa/confirm"): VIEWER,
    ("GET", "/api/v1/users/me"): VIEWER,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("DELETE", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/api-keys"): ADMIN,
    ("GET", "/api/v1/api-keys"): ADMIN,
    ("DELETE", "/api/v1/api-keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/cameras"): VIEWER,
    ("GET", "/api/v1/cameras/{camera_id}"): VIEWER,
    ("GET", "/api/v1/cameras/{camera_id}/snapshot"): VIEWER,
    ("POST", "/api/v1/cameras/test"): ADMIN,
    ("POST", "/api/v1/cameras/{camera_id}/test"): ADMIN,
    ("POST", "/api/v1/cameras"): ADMIN,
    ("PATCH", "/api/v1/cameras/{camera_id}"): ADMIN,
    ("DELETE", "/api/v1/cameras/{camera_id}"): ADMIN,
    ("GET", "/api/v1/events"): VIEWER,
    ("GET", "/api/v1/events/{event_id}"): VIEWER,
    ("GET", "/api/v1/events/{event_id}/snapshot"): VIEWER,
    ("GET", "/api/v1/events/{event_id}/clip"): VIEWER,
    ("GET", "/api/v1/alerts"): VIEWER,
    ("GET", "/api/v1/alerts/counts"): VIEWER,
    ("GET", "/api/v1/alerts/{alert_id}"): VIEWER,
    ("POST", "/api/v1/alerts/{alert_id}/ack"): OPERATOR,
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): OPERATOR,
    ("POST", "/api/v1/alerts/{alert_id}/assign"): OPERATOR,
    ("GET", "/api/v1/alerts/{alert_id}/notes"): VIEWER,
    ("POST", "/api/v1/alerts/{alert_id}/notes"): OPERATOR,
    ("GET", "/api/v1/alerts/dead-letters"): OPERATOR,
    ("GET", "/api/v1/system/health"): VIEWER,
    ("GET", "/api/v1/system/edges"): VIEWER,
    ("POST", "/api/v1/ingest/batch"): EDGE,
    ("PUT", "/api/v1/ingest/segments/{key:path}"): EDGE,
    ("PUT", "/api/v1/ingest/snapshots/{key:path}"): EDGE,
    ("GET", "/api/v1/reports/daily"): VIEWER,
    ("GET", "/api/v1/reports/heatmap"): VIEWER,
    ("POST", "/api/v1/training/upload"): OPERATOR,
    ("GET", "/api/v1/training/samples"): VIEWER,
    ("GET", "/api/v1/recordings"): VIEWER,
    ("GET", "/api/v1/recordings/integrity"): VIEWER,
    ("GET", "/api/v1/cameras/{camera_id}/live"): VIEWER,
    ("GET", "/api/v1/cameras/{camera_id}/hls/{name}"): VIEWER,
    ("POST", "/api/v1/cameras/{camera_id}/webrtc"): VIEWER,
    ("GET", "/api/v1/recordings/{camera_id}/vod.m3u8"): VIEWER,
    ("GET", "/api/v1/recordings/{camera_id}/segments/{segment_id}"): VIEWER,
    ("POST", "/api/v1/exports"): OPERATOR,
    ("GET", "/api/v1/exports"): OPERATOR,
    ("GET", "/api/v1/exports/{export_id}"): OPERATOR,
    ("GET", "/api/v1/exports/{export_id}/download"): OPERATOR,
    ("POST", "/api/v1/exports/verify"): OPERATOR,
    ("POST", "/api/v1/search/faces"): OPERATOR,
    ("GET", "/api/v1/search/faces/{embedding_id}"): OPERATOR,
    ("GET", "/api/v1/persons"): OPERATOR,
    ("POST", "/api/v1/persons"): ADMIN,
    ("GET", "/api/v1/persons/{person_id}"): OPERATOR,
    ("PATCH", "/api/v1/persons/{person_id}"): ADMIN,
    ("DELETE", "/api/v1/persons/{person_id}"): ADMIN,
    ("POST", "/api/v1/persons/{person_id}/photos"): ADMIN,
    ("GET", "/api/v1/persons/{person_id}/photos/{n}"): OPERATOR,
    ("GET", "/api/v1/watchlists"): OPERATOR,
    ("POST", "/api/v1/watchlists"): ADMIN,
    ("GET", "/api/v1/watchlists/{watchlist_id}"): OPERATOR,
    ("PUT", "/api/v1/watchlists/{watchlist_id}"): ADMIN,
    ("DELETE", "/api/v1/watchlists/{watchlist_id}"): ADMIN,
    ("GET", "/api/v1/training/jobs"): VIEWER,
    ("POST", "/api/v1/training/jobs"): ADMIN,
    ("GET", "/api/v1/training/jobs/{job_id}"): VIEWER,
    ("POST", "/api/v1/training/jobs/{job_id}/cancel"): ADMIN,
    ("GET", "/api/v1/training/jobs/{job_id}/artifact"): VIEWER,
    ("GET", "/api/v1/zones"): VIEWER,
    ("POST", "/api/v1/zones"): ADMIN,
    ("GET", "/api/v1/zones/{camera_id}/{zone_id}"): VIEWER,
    ("PUT", "/api/v1/zones/{camera_id}/{zone_id}"): ADMIN,
    ("DELETE", "/api/v1/zones/{camera_id}/{zone_id}"): ADMIN,
    ("GET", "/api/v1/rules"): VIEWER,
    ("POST", "/api/v1/rules"): ADMIN,
    ("POST", "/api/v1/rules/validate"): ADMIN,
    ("GET", "/api/v1/rules/{rule_id}"): VIEWER,
    ("PUT", "/api/v1/rules/{rule_id}"): ADMIN,
    ("DELETE", "/api/v1/rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/schedules"): VIEWER,
    ("GET", "/api/v1/notifications/channels"): VIEWER,
    ("POST", "/api/v1/notifications/channels/{name}/test"): ADMIN,
}


def _routes(api: Api) -> list[tuple[str, str, APIRoute]]:
    out = []
    # FastAPI includes routers lazily; iter_route_contexts yields the effective routes.
    for ctx in iter_route_contexts(api.app.routes):
        route = ctx.route
        if isinstance(route, APIRoute) and ctx.path.startswith("/api/v1"):
            out.extend((method, ctx.path, route) for method in sorted(ctx.methods or ()))
    return out


def _declared_minimum(dependant: Dependant) -> str:
    """The role a route's dependencies demand: PUBLIC, VIEWER (signed in), or a minimum."""
    found = PUBLIC
    for dep in dependant.dependencies:
        minimum = getattr(dep.call, "minimum_role", None)
        if minimum is not None:
            return str(minimum)
        if dep.call is current_principal:
            found = VIEWER
        inner = _declared_minimum(dep)
        if RANK[inner] > RANK[found]:
            found = inner
    return found


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    limits = RateLimitConfig(anonymous_per_minute=10_000, user_per_minute=10_000)
    with api_for_tests(db, tmp_path, rate_limits=limits) as built:
        yield built


def test_every_route_is_in_the_table_with_its_role(api: Api) -> None:
    routes = {(m, p): _declared_minimum(r.dependant) for m, p, r in _routes(api)}
    missing = sorted(set(routes) - set(EXPECTED))
    assert not missing, f"add these routes to the role matrix: {missing}"
    wrong = {k: (v, EXPECTED[k]) for k, v in routes.items() if EXPECTED[k] != v}
    assert not wrong, f"route role (declared, expected): {wrong}"
    gone = sorted(set(EXPECTED) - set(routes))
    assert not gone, f"routes in the matrix that no longer exist: {gone}"


def test_each_role_gets_exactly_what_the_table_says(api: Api) -> None:
    tokens = {
        role: api.login(user)
        for role, user in ((VIEWER, "victor"), (OPERATOR, "olga"), (ADMIN, "admin"))
    }
    problems = []
    for method, path, _ in _routes(api):
        required = EXPECTED[(method, path)]
        if required == PUBLIC:
            continue
        url = path.replace("{", "").replace("}", "")  # any id: access is checked first
        body = {} if method in ("POST", "PATCH", "PUT") else None
        anonymous = api.client.request(method, url, json=body)
        if anonymous.status_code != 401:
            problems.append(f"{method} {path} without a token: {anonymous.status_code}")
        for role, headers in tokens.items():
            r = api.client.request(method, url, json=body, headers=headers)
            allowed = RANK[role] >= RANK[required]
            if allowed and r.status_code in (401, 403):
                problems.append(f"{method} {path} as {role}: {r.status_code} {r.text[:80]}")
            if not allowed and r.status_code != 403:
                problems.append(f"{method} {path} as {role}: expected 403, got {r.status_code}")
    assert not problems, "\n".join(problems)
