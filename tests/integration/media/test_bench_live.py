"""`vigil bench live` runs end to end (a few seconds of samples) and ends with its JSON line."""

from __future__ import annotations

import json

import pytest
from bench import BENCHMARKS
from bench.live import main

from tests.support.site import SIM_CACHE

pytestmark = pytest.mark.slow


def test_live_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["live"] == "bench.live:main"
    assert main(True, ["--seconds", "3", "--cache-dir", str(SIM_CACHE / "dvr-sim")]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["bench"] == "live" and last["anchor_hls_latency_s"].startswith("35-65")
    for path in ("webrtc", "hls"):
        assert last[f"{path}_latency_s"] is not None
        assert 0 < last[f"{path}_latency_s"] <= last[f"{path}_p95_s"]
