"""`vigil bench alerts` runs end to end (a few incidents) and ends with its JSON line."""

from __future__ import annotations

import json

import pytest
from bench import BENCHMARKS
from bench.alerts import main

from vigil.db.session import Database


def test_alerts_benchmark_smoke(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert BENCHMARKS["alerts"] == "bench.alerts:main"
    monkeypatch.setenv("VIGIL_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    assert main(True, ["--incidents", "5"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["bench"] == "alerts" and last["incidents"] == 5
    for path in ("row", "ws", "webhook"):
        assert last[f"{path}_delivered"] == 5
        assert 0 < last[f"{path}_p50_s"] <= last[f"{path}_p99_s"]
