"""`vigil edge` and `vigil hub` refuse what cannot work before starting anything."""

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


def _write(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({**SITE, **extra}))
    return path


def test_edge_needs_an_uplink(tmp_path: Path) -> None:
    config = _write(tmp_path)
    result = CliRunner().invoke(
        app, ["edge", "--config", str(config), "--data-dir", str(tmp_path / "var")]
    )
    assert result.exit_code == 2, result.output
    assert "uplink: missing" in result.output
    assert not (tmp_path / "var").exists()  # nothing started


def test_edge_refuses_a_plain_http_hub_without_showing_the_key(tmp_path: Path) -> None:
    uplink = {"hub_url": "http://hub.example:8443", "api_key": "edge-key-secret-1"}
    config = _write(tmp_path, uplink=uplink)
    result = CliRunner().invoke(
        app, ["edge", "--config", str(config), "--data-dir", str(tmp_path / "var")]
    )
    assert result.exit_code == 2, result.output
    assert "uplink.hub_url: must be an https:// URL" in result.output
    assert "edge-key-secret-1" not in result.output


def test_uplink_key_from_the_environment(tmp_path: Path) -> None:
    uplink = {"hub_url": "https://hub.example", "api_key": "${VIGIL_UPLINK_API_KEY}"}
    config = _write(tmp_path, uplink=uplink)
    result = CliRunner(env={"VIGIL_UPLINK_API_KEY": None}).invoke(
        app, ["config", "check", str(config)]
    )
    assert result.exit_code == 1, result.output
    assert "uplink.api_key: environment variable VIGIL_UPLINK_API_KEY is not set" in result.output


def test_hub_tls_needs_certificate_and_key(tmp_path: Path) -> None:
    config = _write(tmp_path)
    cert = tmp_path / "hub.pem"
    cert.write_text("not used")
    result = CliRunner().invoke(app, ["hub", "--config", str(config), "--tls-cert", str(cert)])
    assert result.exit_code == 2
    assert "give both --tls-cert and --tls-key" in result.output
    result = CliRunner().invoke(
        app,
        ["hub", "--config", str(config), "--tls-cert", str(cert), "--tls-key", "/nonexistent.key"],
    )
    assert result.exit_code == 2
    assert "/nonexistent.key: no such file" in result.output


def test_keys_create_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["keys", "create", "--name", "edge site-1", "--role", "root", "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "give viewer, operator or admin" in result.output
    assert not (tmp_path / "pg").exists()  # no database started
