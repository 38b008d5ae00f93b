"""`vigil config check --probe` against the simulated DVR: a wrong password is reported as such
and the password is never printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.site import SIM_PASSWORD, Simulator
from vigil.app.demo import free_port
from vigil.cli import app


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = Simulator(free_port(0), channels=2)
    sim.start()
    yield sim
    sim.kill()


def _site(tmp_path: Path, port: int, password: str, channels: list[int]) -> Path:
    doc = {
        "site": {"id": "probe", "name": "Probe"},
        "dvr": {
            "host": "127.0.0.1",
            "rtsp_port": port,
            "username": "admin",
            "password": password,
            "channels": 4,
        },
        "cameras": [{"id": f"c{n}", "name": f"C{n}", "channel": n} for n in channels],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_probe_ok(simulator: Simulator, tmp_path: Path) -> None:
    site = _site(tmp_path, simulator.port, SIM_PASSWORD, [1, 2])
    result = CliRunner().invoke(app, ["config", "check", "--probe", str(site)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok h264 960x1080") == 2


def test_probe_wrong_password_and_channel(simulator: Simulator, tmp_path: Path) -> None:
    site = _site(tmp_path, simulator.port, "Wr0ng-Secret-77", [1])
    result = CliRunner().invoke(app, ["config", "check", "--probe", str(site)])
    assert result.exit_code == 1
    assert "refused the credentials for user 'admin'" in result.output
    assert "wrong password" in result.output
    assert "Wr0ng-Secret-77" not in result.output

    site = _site(tmp_path, simulator.port, SIM_PASSWORD, [3])  # the simulator serves 2
    result = CliRunner().invoke(app, ["config", "check", "--probe", str(site)])
    assert result.exit_code == 1
    assert "channel not found" in result.output
    assert SIM_PASSWORD not in result.output
