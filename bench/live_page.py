"""A Chromium page (Debian chromium via playwright) on a running site's origin, with hls.js,
the latency probe and helpers to play live HLS, WebRTC and VOD in <video> elements, as the
dashboard does. Used by `vigil bench live` and the media tests (playwright is a dev extra).

The page itself is served by playwright's router (no dashboard build needed); API calls go to
the real site with a Bearer token, exactly like the dashboard's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.errors import VigilError

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

ROOT = Path(__file__).parents[1]  # the repository (hls.js from web/node_modules)
HLS_JS = ROOT / "web" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
PROBE_JS = ROOT / "tests" / "support" / "latency_probe.js"
CHROMIUM = next(
    (
        p
        for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
        if Path(p).is_file()
    ),
    None,
)
# Headless Debian chromium on a small box (the browser tests launch it with these too).
CHROMIUM_BASE_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Plain host ICE candidates (not mDNS names), so aiortc on loopback can reach them.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
)
CHROMIUM_ARGS = [*CHROMIUM_BASE_ARGS, "--autoplay-policy=no-user-gesture-required"]


class BrowserMissingError(VigilError):
    """Chromium or hls.js is not installed here."""


# Globals to call with page.evaluate: playHls(id, url, token) and playWebRtc(id, url, token,
# stream) add a playing <video id=id>; hlsErrors lists hls.js errors; measureLatency(video)
# comes from tests/support/latency_probe.js.
PLAYERS_JS = """
window.playHls = (id, url, token, live) => {
  const video = document.createElement('video');
  video.id = id; video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.append(video);
  const hls = new Hls({
    xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', 'Bearer ' + token),
    liveSyncDurationCount: 1, liveMaxLatencyDurationCount: 3,
  });
  window.hlsErrors = window.hlsErrors || [];
  hls.on(Hls.Events.ERROR, (_e, d) =>
    window.hlsErrors.push(d.details + (d.fatal ? ' (fatal)' : '')));
  hls.loadSource(url); hls.attachMedia(video);
  window['hls_' + id] = hls;
  return true;
};
window.playWebRtc = async (id, url, token, stream) => {
  const video = document.createElement('video');
  video.id = id; video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.append(video);
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); video.play(); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 3000);
  });
  const r = await fetch(url, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json',
               'X-Requested-With': 'vigil' },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: 'offer', stream }),
  });
  if (!r.ok) throw new Error('webrtc ' + r.status + ' ' + (await r.text()));
  await pc.setRemoteDescription(await r.json());
  window['pc_' + id] = pc;
  return true;
};
"""


@contextmanager
def media_page(origin: str) -> Iterator[Page]:
    """A page at `origin`/media-test with hls.js, the latency probe and the player helpers."""
    if CHROMIUM is None:
        raise BrowserMissingError("Debian chromium is not installed: `apt-get install chromium`")
    if not HLS_JS.is_file():
        raise BrowserMissingError(f"{HLS_JS} is missing: run `npm ci` in web/")
    scripts = HLS_JS.read_text() + "\n" + PLAYERS_JS
    if PROBE_JS.is_file():
        scripts += "\n" + PROBE_JS.read_text().replace("export function", "function")
    html = f"<!doctype html><html><body><script>{scripts}</script></body></html>"

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    from playwright.sync_api import sync_playwright  # a dev extra: imported only when used

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(f"{origin}/media-test", serve)
            page.goto(f"{origin}/media-test")
            yield page
        finally:
            browser.close()
