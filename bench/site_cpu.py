"""CPU cost of a whole demo site: `vigil up --demo` (8 simulated CP PLUS channels, 960x1080
25 fps) measured over a minute once it has settled.

Run (from the checkout): .venv/bin/python -m bench.site_cpu [--seconds 60]

Prints a table and, as the last line, one JSON object. The anchor (the reference design's two
ffmpeg processes per camera, ingest only) is measured in the same run by `vigil bench ingest`
(issue 3); this script reports Vigil's figure for the whole pipeline: recording, keyframe
decoding, detection, rules and the API.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import httpx
import psutil

from bench.scale_engines import counter_sum


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="vigil-bench-")
    env = {**os.environ, "VIGIL_ADMIN_PASSWORD": "bench-password-1", "COLUMNS": "200"}
    cmd = [
        sys.executable,
        "-m",
        "vigil.cli",
        "up",
        "--demo",
        "--port",
        str(args.port),
        "--data-dir",
        data,
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "Vigil is running" in line:
                break
        else:
            print("vigil up exited before it was running", file=sys.stderr)
            return 1
        print(
            f"settling for {args.settle:.0f} s, then measuring for {args.seconds:.0f} s…",
            file=sys.stderr,
        )
        time.sleep(args.settle)
        vigil = psutil.Process(proc.pid)
        sim = next(
            c
            for c in vigil.children(recursive=True)
            if "vigil.dvr.simulator" in " ".join(c.cmdline())
        )
        v0, s0, t0 = _cpu_s(vigil), _cpu_s(sim), time.monotonic()
        time.sleep(args.seconds)
        v1, s1, elapsed = _cpu_s(vigil), _cpu_s(sim), time.monotonic() - t0
        base = f"http://127.0.0.1:{args.port}"
        login = {"username": "admin", "password": env["VIGIL_ADMIN_PASSWORD"]}
        token = httpx.post(f"{base}/api/v1/auth/login", json=login).json()["access_token"]
        # /metrics is for admins (or the configured metrics token), never anonymous.
        metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    streams = 8
    minutes = elapsed / 60
    count = counter_sum(metrics, "ai_inference_duration_seconds_count")
    total = counter_sum(metrics, "ai_inference_duration_seconds_sum")
    dropped = counter_sum(metrics, "frames_dropped_total")
    result = {
        "bench": "site_cpu",
        "streams": streams,
        "vigil_cpu_s_per_stream_min": round((v1 - v0) / streams / minutes, 2),
        "simulator_cpu_s_per_stream_min": round((s1 - s0) / streams / minutes, 3),
        "detector_mean_ms": round(1000 * total / count, 1) if count else None,
        "frames_dropped": int(dropped),
    }
    print(f"{'figure':<48} {'value':>10}")
    for key, value in result.items():
        if key != "bench":
            print(f"{key:<48} {value!s:>10}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
