"""Browser-test helpers (playwright pages on a running site's dashboard)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.site import ADMIN_PASSWORD, RunningSite

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page


def sign_in(
    page: Page, site: RunningSite, *, query: str = "", timeout_ms: int = 15_000
) -> list[str]:
    """Open the dashboard (`site.url` + `query`) and sign in as admin. Returns the list into
    which the page's console errors and uncaught exceptions are collected from now on;
    `timeout_ms` becomes the page's default timeout."""
    errors: list[str] = []
    page.on("console", lambda m: _collect_error(m, errors))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(timeout_ms)
    page.goto(site.url + query)
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    page.get_by_test_id("login-submit").click()
    return errors


def _collect_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)
