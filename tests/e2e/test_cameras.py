"""Settings → Cameras, used as an admin would: see the site's cameras, test one's connection,
and test a DVR channel and an RTSP URL before adding them to site.yaml; a refused password is
explained and never shown back.

Runs the real site (simulator, Vigil, embedded PostgreSQL) and the built dashboard in Debian's
chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_in
from tests.support.site import SIM_PASSWORD, RunningSite, running_site
from vigil.api.app import dashboard_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WRONG = "Wr0ng-Secret-77"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    if dashboard_dir() is None:
        pytest.fail("the dashboard is not built: run `make web` (make test does)")
    with running_site(tmp_path_factory.mktemp("e2e-cameras"), channels=2, rules=[]) as s:
        yield s


def test_admin_tests_cameras_channels_and_urls(
    site: RunningSite, page: Page, artifacts: Path
) -> None:
    errors = sign_in(page, site)
    page.get_by_test_id("nav-settings").click()

    rows = page.get_by_test_id("camera-row")
    expect(rows).to_have_count(2)
    gate = page.locator("[data-testid=camera-row][data-camera-id=gate]")
    expect(gate).to_contain_text("Channel 1, main stream")
    expect(gate).to_have_attribute("data-source", "config")

    gate.get_by_test_id("camera-test").click()
    result = gate.get_by_test_id("camera-test-result")
    expect(result).to_have_attribute("data-ok", "true", timeout=15_000)
    expect(result).to_contain_text("Connected: H.264, 960\u00d71080")

    assert errors == [], f"console errors: {errors}"

    # A channel the DVR does not have is refused before anything is tried (the browser logs
    # that 422 answer as a failed resource load: the one console error expected here).
    page.get_by_test_id("camera-probe-channel").fill("5")
    page.get_by_test_id("camera-probe-submit").click()
    probe = page.get_by_test_id("camera-probe-result")
    expect(probe).to_contain_text("body.channel: the DVR has 2 channel(s) (dvr.channels); got 5")

    # The second channel's sub stream, with the site's DVR credentials.
    page.get_by_test_id("camera-probe-channel").fill("2")
    page.get_by_test_id("camera-probe-stream").select_option("1")
    page.get_by_test_id("camera-probe-submit").click()
    expect(probe).to_have_attribute("data-ok", "true", timeout=15_000)
    expect(probe).to_contain_text("Connected: H.264")

    # A URL with a wrong password: explained, and the password is nowhere on the page.
    port = site.site_config().dvr.rtsp_port
    url = f"rtsp://127.0.0.1:{port}/user=admin&password={WRONG}&channel=1&stream=0.sdp?"
    page.get_by_test_id("camera-probe-kind-url").check()
    page.get_by_test_id("camera-probe-url").fill(url)
    page.get_by_test_id("camera-probe-submit").click()
    expect(probe).to_have_attribute("data-ok", "false", timeout=15_000)
    expect(probe).to_contain_text("refused the credentials for user 'admin'")
    page.get_by_test_id("camera-probe-url").fill("")
    content = page.content()
    assert WRONG not in content and SIM_PASSWORD not in content
    page.screenshot(path=artifacts / "views-settings-cameras.png", full_page=True)
    refused = [e for e in errors if "status of 422" in e]
    assert len(refused) == 1 and len(errors) == 1, f"console errors: {errors}"
