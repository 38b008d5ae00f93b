"""Hostile URLs and values answer 4xx with a clear message, never 500 (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.support.api import Api, api_for_tests
from vigil.db.session import Database


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


CONTROL_CHARACTER_URLS = [
    "/anything%00",
    "/api/v1/cameras/gate%00",  # a route parameter (reached PostgreSQL: DataError)
    "/api/v1/events/%00",
    "/api/v1/alerts/x%0Ay",
    "/api/v1/events?camera_id=gate%00",
    "/api/v1/events?camera_id=gate%1B",
    "/health/live?x=%7F",
]


def test_control_characters_in_the_url_answer_400_before_routing(api: Api) -> None:
    for headers in ({}, api.login("admin")):
        for url in CONTROL_CHARACTER_URLS:
            r = api.client.get(url, headers=headers)
            assert r.status_code == 400, (url, r.status_code, r.text)
            assert "control character" in r.json()["detail"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_control_characters_close_an_alert_socket(api: Api) -> None:
    url = "/ws/alerts%00"
    with pytest.raises(WebSocketDisconnect) as closed, api.client.websocket_connect(url):
        pass
    assert closed.value.code == 1008
