"""Access control (issue 14): a token is only as good as its user's current state, camera
scope everywhere, one-time TOTP codes, forwarded headers, body limits, the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, api_for_tests
from vigil.db.session import Database


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


# -- 6. the CSP ----------------------------------------------------------------------------


def test_the_csp_lets_the_dashboard_connect_to_its_own_host_only(api: Api) -> None:
    csp = api.client.get("/health/live").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["connect-src"] == "'self'"  # not `ws: wss:`: any host at all
