"""`vigil bench live`: live-view latency end to end, camera to screen, in Chromium.

A DVR simulator (child process) serves one "clock channel" whose frames carry the wall
clock at capture (dvr/simulator/clockface.py); Vigil runs as `vigil up` runs it; Debian
Chromium (playwright) plays the camera by WebRTC (main stream) and by live HLS side by side
and reads the clock off the displayed frames (tests/support/latency_probe.js) every 0.5 s.
Latency = browser clock - burnt-in capture time. The anchor is the reference design's HLS
path, 35-65 s, quoted from it (its two-ffmpeg pipeline is not rebuilt here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aioice.ice
import httpx

from bench.live_page import media_page
from vigil.app.demo import demo_config, free_port
from vigil.app.runtime import RuntimeOptions, Vigil

ANCHOR_HLS_S = (35.0, 65.0)  # the reference design's HLS path (quoted)
GOAL_WEBRTC_S, GOAL_HLS_S = 1.0, 5.0
_PASSWORD = "bench-live-admin-1"
_SIM_PASSWORD = "bench-live-dvr-1"
CAM = "gate"


def _start_simulator(port: int, cache: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "vigil.dvr.simulator", "--port", str(port), "--channels", "1",
            "--clock-channel", "1", "--cache-dir", str(cache), "--duration-s", "30",
        ],
        env={**os.environ, "VIGIL_DVR_SIM_PASSWORD": _SIM_PASSWORD},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 600  # the first run encodes the looped footage once
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("the DVR simulator exited during start-up")
        if b"dvr-sim ready" in line:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return proc
    proc.kill()
    raise RuntimeError("the DVR simulator did not start within 10 minutes")


class _Site:
    """Vigil in a thread with its own event loop, as `vigil up` runs it."""

    def __init__(self, data: Path, sim_port: int) -> None:
        self.vigil = Vigil(
            demo_config(sim_port, _SIM_PASSWORD, channels=1),
            RuntimeOptions(data_dir=data, port=0, admin_password=_PASSWORD),
        )
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(180) or self._error is not None:
            raise RuntimeError(f"Vigil did not start: {self._error!r}")

    def _run(self) -> None:
        async def main() -> None:
            try:
                await self.vigil.start()
            except BaseException as err:
                self._error = err
                self._ready.set()
                raise
            self._ready.set()
            await self._stop.wait()
            await self.vigil.stop()

        try:
            self._loop.run_until_complete(main())
        except BaseException as err:
            self._error = self._error or err

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


def _wait(what: str, probe: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _measure(url: str, token: str, seconds: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"webrtc": [], "hls": []}
    with media_page(url) as page:
        page.evaluate(
            "([url, token]) => playWebRtc('webrtc', url, token, 'main')",
            [f"/api/v1/cameras/{CAM}/webrtc", token],
        )
        page.evaluate(
            "([url, token]) => playHls('hls', url, token)",
            [f"/api/v1/cameras/{CAM}/hls/live.m3u8", token],
        )
        page.wait_for_function(
            "() => ['webrtc', 'hls'].every(id => document.getElementById(id).currentTime > 1)",
            timeout=60_000,
        )
        time.sleep(3)  # let hls.js settle on its live edge
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            got = page.evaluate(
                "['webrtc', 'hls'].map(id => measureLatency(document.getElementById(id)))"
            )
            for name, value in zip(("webrtc", "hls"), got, strict=True):
                if value is not None:
                    samples[name].append(float(value))
            time.sleep(0.5)
    return samples


def _loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(quick: bool, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vigil bench live")
    parser.add_argument("--seconds", type=float, default=15.0 if quick else 60.0)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path.home() / ".cache" / "vigil" / "dvr-sim"
    )
    args = parser.parse_args(argv)
    # Loopback ICE only: browser and server are on this machine (and some boxes have no LAN).
    host_addresses = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = _loopback  # aioice has no setting for it
    data = Path(tempfile.mkdtemp(prefix="vigil-bench-live-"))
    data.chmod(0o755)  # the embedded PostgreSQL runs as its own user when we are root
    sim_port = free_port(0)
    sim = _start_simulator(sim_port, args.cache_dir)
    site: _Site | None = None
    try:
        site = _Site(data, sim_port)
        site.start()
        base = site.vigil.url
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": _PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        _wait(
            "live HLS",
            lambda: httpx.get(f"{base}/api/v1/cameras/{CAM}/live", headers=headers).json()[
                "hls_ready"
            ],
            60,
        )
        samples = _measure(base, token, args.seconds)
    finally:
        if site is not None:
            site.stop()
        sim.kill()
        sim.wait(10)
        aioice.ice.get_host_addresses = host_addresses
        shutil.rmtree(data, ignore_errors=True)
    result: dict[str, Any] = {"bench": "live"}
    print(f"{'path':<26} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'goal s':>7}")
    for name, goal in (("webrtc", GOAL_WEBRTC_S), ("hls", GOAL_HLS_S)):
        values = samples[name]
        if not values:
            print(f"{'vigil ' + name:<26} {0:>4}  (no frame could be read)")
            result[f"{name}_latency_s"] = None
            continue
        p50, p95 = statistics.median(values), _pct(values, 0.95)
        top = max(values)
        print(
            f"{'vigil ' + name:<26} {len(values):>4} {p50:>7.3f} {p95:>7.3f} {top:>7.3f}"
            f" {goal:>7.1f}"
        )
        result[f"{name}_latency_s"] = round(p50, 3)
        result[f"{name}_p95_s"] = round(p95, 3)
    lo, hi = ANCHOR_HLS_S
    anchor = f"{lo:.0f}-{hi:.0f}"
    print(
        f"{'anchor HLS (reference)':<26} {'-':>4} {anchor:>7}  (quoted from the reference design)"
    )
    print("(latency: browser clock minus the capture time burnt into the frame; same machine)")
    result["anchor_hls_latency_s"] = f"{lo:.0f}-{hi:.0f} (reference design, quoted)"
    result["seconds"] = args.seconds
    print(json.dumps(result))
    return 0 if result.get("webrtc_latency_s") is not None else 1
