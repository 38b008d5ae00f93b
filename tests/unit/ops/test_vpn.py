"""`vigil vpn init`: WireGuard keys and configs for a hub and N edges, checked with `wg`."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.ops import vpn


def sections(path: Path) -> list[tuple[str, dict[str, str]]]:
    """A wg-quick file as (section, fields) pairs; [Peer] repeats, so no configparser."""
    out: list[tuple[str, dict[str, str]]] = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            out.append((line.strip("[]"), {}))
        else:
            name, _, value = line.partition("=")
            out[-1][1][name.strip()] = value.strip()
    return out


def wg(*args: str, stdin: str) -> str:
    binary = shutil.which("wg")
    assert binary, "wg not found: `make system-deps` installs Debian wireguard-tools"
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_vpn_init_writes_a_hub_and_edges_that_fit_together(tmp_path: Path) -> None:
    out = tmp_path / "wg"
    result = CliRunner().invoke(
        app, ["vpn", "init", "--hub-endpoint", "vpn.example.com:51820", "--edges", "3",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hub = sections(out / "hub" / "wg0.conf")
    edges = {n: sections(out / f"edge-0{n}" / "wg0.conf") for n in (1, 2, 3)}
    (_, hub_if), *hub_peers = hub
    assert hub_if["Address"] == "10.100.0.1/24" and hub_if["ListenPort"] == "51820"
    assert [p["AllowedIPs"] for _, p in hub_peers] == [f"10.100.0.{n + 1}/32" for n in (1, 2, 3)]
    hub_public = wg("pubkey", stdin=hub_if["PrivateKey"])
    for n, ((_, edge_if), (_, edge_peer)) in edges.items():
        assert edge_if["Address"] == f"10.100.0.{n + 1}/32"
        assert edge_peer["PublicKey"] == hub_public  # wg agrees with our X25519 maths
        assert edge_peer["Endpoint"] == "vpn.example.com:51820"
        assert edge_peer["AllowedIPs"] == "10.100.0.1/32"  # the hub only
        hub_side = hub_peers[n - 1][1]
        assert hub_side["PublicKey"] == wg("pubkey", stdin=edge_if["PrivateKey"])
        assert hub_side["PresharedKey"] == edge_peer["PresharedKey"]
    psks = [p["PresharedKey"] for _, p in hub_peers]
    assert len(set(psks)) == 3  # one preshared key per edge
    for path in out.rglob("wg0.conf"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        strip = shutil.which("wg-quick")
        assert strip, "wg-quick not found (Debian wireguard-tools)"
        subprocess.run([strip, "strip", str(path)], capture_output=True, check=True)


def test_vpn_init_keeps_existing_keys_unless_forced(tmp_path: Path) -> None:
    vpn.init("hub:51820", 1, tmp_path)
    before = (tmp_path / "hub" / "wg0.conf").read_text()
    with pytest.raises(vpn.VpnError, match=r"already exists.*--force"):
        vpn.init("hub:51820", 1, tmp_path)
    assert (tmp_path / "hub" / "wg0.conf").read_text() == before
    vpn.init("hub:51820", 1, tmp_path, force=True)
    assert (tmp_path / "hub" / "wg0.conf").read_text() != before


@pytest.mark.parametrize(
    ("endpoint", "edges", "message"),
    [
        ("hub", 1, "must be HOST:PORT"),
        ("hub:0", 1, "must be HOST:PORT"),
        (":51820", 1, "must be HOST:PORT"),
        ("hub:51820", 0, "between 1 and 253"),
        ("hub:51820", 254, "between 1 and 253"),
    ],
)
def test_vpn_init_refuses_bad_input(
    tmp_path: Path, endpoint: str, edges: int, message: str
) -> None:
    with pytest.raises(vpn.VpnError, match=message):
        vpn.init(endpoint, edges, tmp_path)
    assert not any(tmp_path.iterdir())
