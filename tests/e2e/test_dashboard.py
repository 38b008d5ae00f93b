"""A guard's first minutes: sign in, watch the cameras, see an alert arrive, acknowledge it.

Runs the real site (simulator, Vigil, embedded PostgreSQL) and the built dashboard in Debian's
chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_in
from tests.support.site import RunningSite, running_site
from vigil.api.app import dashboard_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    if dashboard_dir() is None:
        pytest.fail("the dashboard is not built: run `make web` (make test does)")
    with running_site(tmp_path_factory.mktemp("e2e"), channels=2) as s:
        yield s


def test_login_rejects_wrong_password(site: RunningSite, page: Page, artifacts: Path) -> None:
    page.goto(site.url)
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("invalid username or password")
    page.screenshot(path=artifacts / "login-error.png")


def test_guard_sees_alert_arrive_and_acknowledges_it(
    site: RunningSite, page: Page, artifacts: Path
) -> None:
    errors = sign_in(page, site)

    tiles = page.get_by_test_id("camera-tile")
    expect(tiles).to_have_count(2)
    expect(page.locator("[data-testid=camera-tile][data-status=online]").first).to_be_visible(
        timeout=60_000
    )
    expect(page.get_by_test_id("ws-status")).to_be_attached()

    # The alert arrives through the WebSocket: the page is never reloaded.
    new_alert = page.locator("[data-testid=alert-item][data-status=new]").first
    expect(new_alert).to_be_visible(timeout=90_000)
    expect(page.get_by_test_id("unack-count")).not_to_have_text("0")
    page.screenshot(path=artifacts / "dashboard-alert.png", full_page=True)

    alert_id = new_alert.get_attribute("data-alert-id")
    assert alert_id
    item = page.locator(f"[data-testid=alert-item][data-alert-id='{alert_id}']")
    item.get_by_test_id("alert-ack").click()
    expect(item).to_have_attribute("data-status", "acknowledged")
    expect(item).to_contain_text("admin")
    assert site.api("GET", f"/api/v1/alerts/{alert_id}").json()["status"] == "acknowledged"
    page.screenshot(path=artifacts / "dashboard-acknowledged.png", full_page=True)
    assert errors == [], f"console errors: {errors}"
