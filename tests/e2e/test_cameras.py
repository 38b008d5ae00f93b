"""Settings → Cameras, used as an admin would: see the site's cameras, test one's connection,
test a DVR channel and an RTSP URL in the add form (a refused password is explained and never
shown back), and add a camera, see it go online, rename it and delete it.

Runs the real site (simulator, Vigil, embedded PostgreSQL) and the built dashboard in Debian's
chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.support.browser import sign_in
from tests.support.site import SIM_PASSWORD, RunningSite, running_site
from tests.support.webrtc import loopback_ice
from vigil.api.app import dashboard_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WRONG = "Wr0ng-Secret-77"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    if dashboard_dir() is None:
        pytest.fail("the dashboard is not built: run `make web` (make test does)")
    data = tmp_path_factory.mktemp("e2e-cameras")
    with loopback_ice(), running_site(data, channels=2, rules=[]) as s:
        yield s


def test_admin_tests_cameras_channels_and_urls(
    site: RunningSite, page: Page, artifacts: Path
) -> None:
    errors = sign_in(page, site)
    page.get_by_test_id("nav-settings").click()

    rows = page.get_by_test_id("camera-row")
    expect(rows).to_have_count(2)
    gate = row(page, "gate")
    expect(gate).to_contain_text("Channel 1, main stream")
    expect(gate).to_contain_text("from site.yaml (cameras[0])")
    expect(gate).to_have_attribute("data-source", "config")
    # site.yaml's cameras are read-only here.
    expect(gate.get_by_test_id("camera-edit")).to_have_count(0)
    expect(gate.get_by_test_id("camera-delete")).to_have_count(0)

    gate.get_by_test_id("camera-test").click()
    result = gate.get_by_test_id("camera-test-result")
    expect(result).to_have_attribute("data-ok", "true", timeout=15_000)
    expect(result).to_contain_text("Connected: H.264, 960\u00d71080")

    assert errors == [], f"console errors: {errors}"

    # A channel the DVR does not have is refused before anything is tried (the browser logs
    # that 422 answer as a failed resource load: the one console error expected here).
    page.get_by_test_id("camera-add").click()
    page.get_by_test_id("camera-form-channel").fill("5")
    page.get_by_test_id("camera-form-test").click()
    probe = page.get_by_test_id("camera-form-test-result")
    expect(probe).to_contain_text("body.channel: the DVR has 2 channel(s) (dvr.channels); got 5")

    # The second channel's sub stream, with the site's DVR credentials.
    page.get_by_test_id("camera-form-channel").fill("2")
    page.get_by_test_id("camera-form-stream").select_option("1")
    page.get_by_test_id("camera-form-test").click()
    expect(probe).to_have_attribute("data-ok", "true", timeout=15_000)
    expect(probe).to_contain_text("Connected: H.264")

    # A URL with a wrong password: explained, and the password is nowhere on the page.
    port = site.site_config().dvr.rtsp_port
    url = f"rtsp://127.0.0.1:{port}/user=admin&password={WRONG}&channel=1&stream=0.sdp?"
    page.get_by_test_id("camera-form-kind-url").check()
    page.get_by_test_id("camera-form-url").fill(url)
    expect(page.get_by_test_id("camera-form")).to_contain_text("password=***&channel=1")
    page.get_by_test_id("camera-form-test").click()
    expect(probe).to_have_attribute("data-ok", "false", timeout=15_000)
    expect(probe).to_contain_text("refused the credentials for user 'admin'")
    # The password moved from the URL field to the password field.
    expect(page.get_by_test_id("camera-form-url")).to_have_value(
        f"rtsp://127.0.0.1:{port}/user=admin&password=***&channel=1&stream=0.sdp?"
    )
    password = page.get_by_test_id("camera-form-password")
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_value(WRONG)
    password.fill("")
    content = page.content()
    assert WRONG not in content and SIM_PASSWORD not in content
    page.screenshot(path=artifacts / "views-settings-cameras.png", full_page=True)
    page.get_by_test_id("camera-form-cancel").click()
    expect(page.get_by_test_id("camera-form")).to_have_count(0)
    expect(page.get_by_test_id("camera-add")).to_be_focused()
    refused = [e for e in errors if "status of 422" in e]
    assert len(refused) == 1 and len(errors) == 1, f"console errors: {errors}"


def test_admin_adds_renames_and_deletes_a_camera(
    site: RunningSite, page: Page, artifacts: Path
) -> None:
    errors = sign_in(page, site)
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("camera-row")).to_have_count(2)

    # Add the second simulator channel's sub stream as a camera of its own.
    page.get_by_test_id("camera-add").click()
    expect(page.get_by_test_id("camera-form-id")).to_be_focused()
    page.keyboard.type("porch")
    page.get_by_test_id("camera-form-name").fill("Porch")
    page.get_by_test_id("camera-form-channel").fill("2")
    page.get_by_test_id("camera-form-stream").select_option("1")
    page.get_by_test_id("camera-form-test").click()
    expect(page.get_by_test_id("camera-form-test-result")).to_have_attribute(
        "data-ok", "true", timeout=15_000
    )
    # The form fits a phone's width (nothing scrolls sideways).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # (Scrolled to the top: the sticky header would cover an element screenshot's top.)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=artifacts / "views-settings-camera-form-phone.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 390, "height": 1300},
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=artifacts / "views-settings-camera-form.png")
    page.get_by_test_id("camera-form-save").click()

    porch = row(page, "porch")
    expect(porch).to_have_attribute("data-source", "api")
    expect(porch).to_contain_text("Channel 2, sub stream")
    expect(porch).to_contain_text("added here")
    # The running site starts the new camera at once.
    expect(porch.get_by_test_id("camera-row-status")).to_have_attribute(
        "data-status", "online", timeout=45_000
    )
    assert site.camera("porch")["status"] == "online"

    # Rename it in place; the channel and stream stay.
    porch.get_by_test_id("camera-edit").click()
    name = porch.get_by_test_id("camera-form-name")
    expect(name).to_be_focused()
    name.fill("Porch (east)")
    porch.get_by_test_id("camera-form-save").click()
    expect(porch).to_contain_text("Porch (east) (porch)")
    expect(porch.get_by_test_id("camera-edit")).to_be_focused()
    stored = site.camera("porch")
    assert (stored["name"], stored["channel"], stored["stream"]) == ("Porch (east)", 2, 1)

    # Its live tile plays by WebRTC. When the camera's source changes, the server closes that
    # stream and the tile reconnects by WebRTC (rather than falling back to HLS).
    tile = page.locator("[data-testid=camera-tile][data-camera-id=porch]")
    for _ in range(3):  # a busy box can miss WebRTC's 5 s to connect: open the grid afresh
        page.get_by_test_id("nav-dashboard").click()
        expect(tile).to_have_attribute("data-phase", "playing", timeout=45_000)
        if tile.get_attribute("data-transport") == "webrtc":
            break
        why = tile.get_by_test_id("live-latency").get_attribute("data-fallback-reason")
        print(f"porch's tile fell back to HLS ({why}); opening the grid again")
        page.get_by_test_id("nav-settings").click()
    expect(tile).to_have_attribute("data-transport", "webrtc")
    first = tile.get_by_test_id("live-video").evaluate("v => v.srcObject.id")
    assert site.api("PATCH", "/api/v1/cameras/porch", json={"stream": 0}).status_code == 200
    page.wait_for_function(
        """first => {
            const video = document.querySelector(
                "[data-testid=camera-tile][data-camera-id=porch] [data-testid=live-video]");
            return video !== null && video.srcObject !== null && video.srcObject.id !== first;
        }""",
        arg=first,
        timeout=30_000,
    )
    expect(tile).to_have_attribute("data-phase", "playing", timeout=30_000)
    expect(tile).to_have_attribute("data-transport", "webrtc")
    assert site.api("PATCH", "/api/v1/cameras/porch", json={"stream": 1}).status_code == 200
    page.get_by_test_id("nav-settings").click()

    # Switch it to its own RTSP URL, pasted whole: the password moves to the password field,
    # is stored, and is never shown back.
    port = site.site_config().dvr.rtsp_port
    path = f"127.0.0.1:{port}/user=admin&password={{}}&channel=2&stream=1.sdp?"
    porch.get_by_test_id("camera-edit").click()
    porch.get_by_test_id("camera-form-kind-url").check()
    porch.get_by_test_id("camera-form-url").fill("rtsp://" + path.format(SIM_PASSWORD))
    page.keyboard.press("Tab")
    expect(porch.get_by_test_id("camera-form-url")).to_have_value("rtsp://" + path.format("***"))
    expect(porch.get_by_test_id("camera-form-password")).to_have_value(SIM_PASSWORD)
    porch.get_by_test_id("camera-form-save").click()
    expect(porch).to_contain_text("RTSP rtsp://" + path.format("***"))
    expect(porch.get_by_test_id("camera-row-status")).to_have_attribute(
        "data-status", "online", timeout=45_000
    )
    assert SIM_PASSWORD not in page.content()
    stored = site.camera("porch")
    assert (stored["own_url"], stored["channel"]) == (True, None)
    assert stored["url_masked"] == "rtsp://" + path.format("***")

    # Delete it after confirming (the dialog says its recordings are kept).
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    porch.get_by_test_id("camera-delete").click()
    expect(page.get_by_test_id("camera-row")).to_have_count(2)
    assert "recordings and events are kept" in questions[0]
    assert site.api("GET", "/api/v1/cameras/porch").status_code == 404
    assert errors == [], f"console errors: {errors}"


def row(page: Page, camera_id: str) -> Locator:
    return page.locator(f"[data-testid=camera-row][data-camera-id={camera_id}]")
