"""site.yaml validation: every error is reported with its path, secrets never leak."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.config import load_config, parse_config
from vigil.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "site.yaml"


def _minimal(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "site": {"id": "s", "name": "S", "timezone": "Asia/Kolkata"},
        "dvr": {"host": "10.0.0.2", "username": "admin", "password": "pw", "channels": 4},
        "cameras": [{"id": "c1", "name": "Gate", "channel": 1}],
    }
    data.update(overrides)
    return data


def _errors(data: object) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "t.yaml")
    return dict(info.value.errors)


def test_reference_site_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_DVR_PASSWORD", "s3cret-pw")
    config = load_config(EXAMPLE)
    assert config.dvr.model == "CP-UVR-0801E1-CV2"
    assert config.dvr.host == "192.168.29.200"
    assert config.site.timezone == "Asia/Kolkata"
    assert [c.channel for c in config.cameras] == list(range(1, 9))
    night = config.schedules["night"]
    assert (night.start.isoformat(), night.end.isoformat()) == ("22:00:00", "06:00:00")
    assert config.dvr.password is not None
    assert config.dvr.password.get_secret_value() == "s3cret-pw"
    assert "s3cret-pw" not in repr(config)


def test_missing_password_env_is_named_without_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_DVR_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as info:
        load_config(EXAMPLE)
    assert (
        "dvr.password",
        "environment variable VIGIL_DVR_PASSWORD is not set",
    ) in info.value.errors


@pytest.mark.parametrize(
    ("patch", "path", "fragment"),
    [
        (
            {"site": {"id": "s", "name": "S", "timezone": "Mars/Base"}},
            "site.timezone",
            "unknown time zone",
        ),
        (
            {"cameras": [{"id": "c1", "name": "G", "channel": 9}]},
            "cameras[0].channel",
            "the DVR has 4 channels",
        ),
        (
            {
                "cameras": [
                    {
                        "id": "c1",
                        "name": "G",
                        "channel": 1,
                        "zones": [{"id": "z", "name": "Z", "polygon": [[0, 0], [1, 1]]}],
                    }
                ]
            },
            "cameras[0].zones[0].polygon",
            "needs at least 3 points",
        ),
        (
            {
                "cameras": [
                    {
                        "id": "c1",
                        "name": "G",
                        "channel": 1,
                        "zones": [
                            {"id": "z", "name": "Z", "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]}
                        ],
                    }
                ]
            },
            "cameras[0].zones[0].polygon",
            "not a simple polygon",
        ),
        (
            {
                "cameras": [
                    {
                        "id": "c1",
                        "name": "G",
                        "channel": 1,
                        "zones": [{"id": "z", "name": "Z", "polygon": [[0, 0], [1.5, 0], [1, 1]]}],
                    }
                ]
            },
            "cameras[0].zones[0].polygon",
            "outside the frame",
        ),
        (
            {"rules": [{"id": "r", "name": "R", "schedule": "night"}]},
            "rules[0].schedule",
            "unknown schedule 'night'",
        ),
        (
            {"rules": [{"id": "r", "name": "R", "cameras": ["nope"]}]},
            "rules[0].cameras[0]",
            "unknown camera 'nope'",
        ),
        (
            {"rules": [{"id": "r", "name": "R", "zones": ["zz"]}]},
            "rules[0].zones[0]",
            "zone 'zz' is not defined",
        ),
        (
            {"schedules": {"night": {"start": "22:00"}}},
            "schedules.night",
            "give both start and end",
        ),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"dvr": {"host": "h", "username": "u", "channels": 4}}, "dvr.password", "missing"),
        (
            {
                "cameras": [
                    {"id": "c1", "name": "A", "channel": 1},
                    {"id": "c1", "name": "B", "channel": 2},
                ]
            },
            "cameras[1].id",
            "duplicate camera id",
        ),
        (
            {"uplink": {"hub_url": "http://hub.example:8443", "api_key": "k"}},
            "uplink.hub_url",
            "must be an https:// URL",
        ),
        ({"uplink": {"hub_url": "https://hub.example"}}, "uplink.api_key", "missing"),
        (
            {"uplink": {"hub_url": "https://h", "api_key": "k", "batch_items": 0}},
            "uplink.batch_items",
            "greater than or equal to 1",
        ),
    ],
)
def test_each_error_names_its_path(patch: dict[str, object], path: str, fragment: str) -> None:
    errors = _errors(_minimal(**patch))
    assert path in errors, errors
    assert fragment in errors[path]


def test_all_errors_reported_together() -> None:
    data = _minimal(
        site={"id": "Bad Id", "name": "S"},
        cameras=[
            {
                "id": "c1",
                "name": "G",
                "channel": 7,
                "zones": [{"id": "z", "name": "Z", "polygon": [[0, 0]]}],
            }
        ],
        rules=[{"id": "r", "name": "R", "schedule": "nights"}],
    )
    errors = _errors(data)
    assert {
        "site.id",
        "cameras[0].zones[0].polygon",
        "cameras[0].channel",
        "rules[0].schedule",
    } <= set(errors)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text("site:\n  id: x\n  name: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    ((where, message),) = info.value.errors
    assert where.startswith("line ")
    assert "not valid YAML" in message


def test_cli_check_prints_every_error_without_password(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "site: {id: s, name: S}\n"
        "dvr: {host: 1.2.3.4, username: admin, password: hunter2-secret, channels: 2}\n"
        "cameras:\n"
        "  - {id: a, name: A, channel: 1}\n"
        "  - {id: b, name: B, channel: 2}\n"
        "  - id: c\n    name: C\n    channel: 5\n"
        "    zones: [{id: z, name: Z, polygon: [[0.1, 0.1], [0.2, 0.2]]}]\n"
    )
    result = CliRunner().invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 1
    out = result.output
    assert "cameras[2].zones[0].polygon: needs at least 3 points" in out
    assert "cameras[2].channel: channel 5 does not exist" in out
    assert "hunter2-secret" not in out


def test_cli_check_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_DVR_PASSWORD", "x")
    result = CliRunner().invoke(app, ["config", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "8 camera(s)" in result.output


def _check_in_40_columns(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "40", "VIGIL_DVR_PASSWORD": "x"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.run(
        [sys.executable, "-m", "vigil.cli", "config", "check", str(path)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cli_check_verdicts_are_one_line_whatever_the_path_and_width(tmp_path: Path) -> None:
    """A clone in a long path, a 40-column terminal: each verdict stays on its line."""
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "site"
    deep.mkdir(parents=True)
    good = deep / "site.yaml"
    good.write_text(EXAMPLE.read_text())
    done = _check_in_40_columns(good)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{good}: OK") and "8 camera(s), 2 rule(s)" in lines[0]

    bad = deep / "bad.yaml"
    bad.write_text(
        "site: {id: s, name: S}\n"
        "dvr: {host: 1.2.3.4, username: admin, password: p, channels: 2}\n"
        "cameras:\n  - {id: a, name: A, channel: 7}\n"
    )
    done = _check_in_40_columns(bad)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines == [
        f"{bad}: 1 error(s)",
        "  cameras[0].channel: channel 7 does not exist: the DVR has 2 channels",
    ], lines


def test_a_camera_given_by_url_needs_no_channel() -> None:
    from vigil.media.video import camera_stream_url

    url = "rtsp://admin:cam-pw@192.168.29.40:554/Streaming/Channels/101"
    config = parse_config(
        _minimal(
            cameras=[
                {"id": "c1", "name": "Gate", "channel": 1},
                {"id": "yard", "name": "Yard", "url": url},
            ]
        )
    )
    yard = config.camera("yard")
    assert yard.channel is None
    assert camera_stream_url(config, "yard", "main") == url
    assert "channel=1&" in camera_stream_url(config, "c1", "main")
    with pytest.raises(ValueError, match="has no DVR channel"):
        _ = yard.dvr_channel
    # Without a DVR camera, no DVR password is needed either.
    only_url = _minimal(
        dvr={"host": "h", "username": "u"}, cameras=[{"id": "y", "name": "Y", "url": url}]
    )
    assert parse_config(only_url).cameras[0].channel is None


def test_a_camera_with_neither_channel_nor_url_is_refused_at_its_channel() -> None:
    errors = _errors(_minimal(cameras=[{"id": "c1", "name": "Gate"}]))
    assert errors == {
        "cameras[0].channel": "missing: a camera on the DVR needs its channel (1-based); "
        "one that is not needs url"
    }


def test_a_value_read_back_must_be_one_of_its_literal() -> None:
    from vigil.config import SEVERITIES
    from vigil.config.base import checked_literal

    assert checked_literal("high", SEVERITIES, "severity") == "high"
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        checked_literal("urgent", SEVERITIES, "severity")
