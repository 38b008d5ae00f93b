"""`vigil worker` refuses what cannot work before starting anything."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from vigil.cli import app

SITE = {
    "site": {"id": "site-1", "name": "Site 1"},
    "dvr": {"host": "10.0.0.2", "username": "admin", "password": "dvr-secret-pw", "channels": 2},
    "cameras": [{"id": "gate", "name": "Gate", "channel": 1}],
}


def _invoke(tmp_path: Path, role: str, env: dict[str, str | None]) -> tuple[int, str]:
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(SITE))
    args = ["worker", "--role", role, "--config", str(config), "--data-dir", str(tmp_path / "var")]
    result = CliRunner(env=env).invoke(app, args)
    return result.exit_code, result.output


def test_worker_needs_the_shared_database_and_kafka(tmp_path: Path) -> None:
    code, output = _invoke(
        tmp_path, "analytics", {"VIGIL_DATABASE_URL": None, "VIGIL_KAFKA_BOOTSTRAP": None}
    )
    assert code == 2, output
    assert "VIGIL_DATABASE_URL: missing" in output
    assert "VIGIL_KAFKA_BOOTSTRAP: missing" in output
    assert not (tmp_path / "var").exists()  # nothing started


def test_worker_names_the_one_setting_missing(tmp_path: Path) -> None:
    env = {"VIGIL_DATABASE_URL": "postgresql+psycopg://u:pw-not-shown@db/vigil"}
    code, output = _invoke(tmp_path, "notify", {**env, "VIGIL_KAFKA_BOOTSTRAP": " "})
    assert code == 2, output
    assert "VIGIL_KAFKA_BOOTSTRAP: missing" in output
    assert "VIGIL_DATABASE_URL" not in output
    assert "pw-not-shown" not in output


def test_worker_refuses_an_unknown_role(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "recorder", {})
    assert code == 2
    assert "give analytics, notify, inference" in output
