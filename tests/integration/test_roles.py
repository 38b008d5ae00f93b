"""`vigil hub` and `vigil edge` as separate processes on loopback, as an operator runs them: the
edge (with its own DVR simulator) records, detects and alerts locally and forwards everything to
the hub over HTTPS; when the hub goes away for a while the edge carries on and, once the hub is
back, everything made during the outage arrives exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.site import SIM_PASSWORD, Simulator, wait_for
from tests.support.tls import self_signed
from vigil.demo import demo_config, free_port

pytestmark = pytest.mark.slow
VIGIL = [sys.executable, "-m", "vigil.cli"]
ADMIN_PASSWORD = "roles-admin-password-1"
CAMERA = "gate"
SEGMENT_S = 4.0
OUTAGE_S = 30.0


class Role:
    """One `vigil edge|hub` child process with its output collected."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args, self.env = args, env
        self.output = ""
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.output = ""
        self.proc = subprocess.Popen(
            [*VIGIL, *self.args], env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        proc = self.proc
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()
        wait_for(
            f"'vigil {self.args[0]}' to start",
            lambda: "Vigil is running" in self.output or proc.poll() is not None,
            180,
        )
        assert proc.poll() is None, f"vigil {self.args[0]} exited:\n{self.output[-3000:]}"

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output += line

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; it must exit cleanly."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert code == 0, f"vigil {self.args[0]} exited {code}:\n{self.output[-3000:]}"

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Client:
    """The REST API as the admin of one server."""

    def __init__(self, base_url: str, verify: ssl.SSLContext | bool = True) -> None:
        self.http = httpx.Client(base_url=base_url, verify=verify, timeout=10)
        self._token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            r = self.http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=self._headers())
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = self.http.post(path, json=body, headers=self._headers())
        assert r.is_success, r.text
        return r.json()

    def alerts(self) -> list[dict[str, Any]]:
        page: list[dict[str, Any]] = self.get("/api/v1/alerts", camera_id=CAMERA, limit=500)[
            "items"
        ]
        return page

    def event_ids(self, start: datetime, end: datetime) -> list[str]:
        items = self.get(
            "/api/v1/events", camera_id=CAMERA, start=start.isoformat(), end=end.isoformat(),
            limit=500,
        )["items"]  # fmt: skip
        return [e["id"] for e in items]

    def segment_keys(self, start: datetime, end: datetime) -> list[str]:
        rows = self.get(
            "/api/v1/recordings", camera_id=CAMERA, start=start.isoformat(), end=end.isoformat()
        )
        return [r["key"] for r in rows]


def _alert_ids(alerts: list[dict[str, Any]], start: datetime, end: datetime) -> list[str]:
    return [a["id"] for a in alerts if start <= datetime.fromisoformat(a["created_at"]) < end]


def _site(sim_port: int, site_id: str, uplink: dict[str, Any] | None) -> dict[str, Any]:
    """The simulator's site (camera `gate`, a walkway zone rule that fires on its footage)."""
    data = demo_config(sim_port, SIM_PASSWORD, channels=1).model_dump(mode="json")
    data["site"]["id"] = site_id
    data["dvr"]["password"] = "${VIGIL_DVR_PASSWORD}"
    data["rules"][0]["clear_after_s"] = 3  # short incidents: several alerts a minute
    data["recording"]["segment_s"] = SEGMENT_S
    if uplink is not None:
        data["uplink"] = uplink
    return data


@pytest.fixture
def work() -> Iterator[Path]:
    """Not under pytest's basetemp: every pytest run resets /tmp/pytest-of-<user> to 0700 (and
    removes old runs), which would lock the embedded PostgreSQL's own user out mid-test."""
    root = Path(tempfile.mkdtemp(prefix="vigil-test-roles-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator(free_port(0), channels=1)
    sim.start()
    try:
        yield sim
    finally:
        sim.kill()


def test_edge_to_hub_store_and_forward(work: Path, simulator: Simulator) -> None:
    cert, key = self_signed(work / "tls")
    env = {**os.environ, "VIGIL_ADMIN_PASSWORD": ADMIN_PASSWORD, "COLUMNS": "200",
           "VIGIL_DVR_PASSWORD": SIM_PASSWORD}  # fmt: skip
    env.pop("VIGIL_DATABASE_URL", None)
    hub_yaml = work / "hub.yaml"
    hub_yaml.write_text(yaml.safe_dump(_site(simulator.port, "hub", None)))
    hub_port, hub_data = free_port(0), work / "hub"
    hub = Role(
        ["hub", "--config", str(hub_yaml), "--data-dir", str(hub_data),
         "--port", str(hub_port), "--tls-cert", str(cert), "--tls-key", str(key)],
        env,
    )  # fmt: skip
    edge: Role | None = None
    try:
        hub.start()
        hub_api = Client(f"https://127.0.0.1:{hub_port}", ssl.create_default_context(cafile=cert))
        # The operator makes the edge's key beside the running hub (sharing its database)
        # and puts it in the edge's environment.
        made = subprocess.run(
            [*VIGIL, "keys", "create", "--name", "edge site-1", "--data-dir", str(hub_data)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        edge_key = made.stdout.strip()
        listed = hub_api.get("/api/v1/api-keys")
        assert [(k["name"], k["role"]) for k in listed] == [("edge site-1", "operator")]
        uplink = {"hub_url": f"https://127.0.0.1:{hub_port}", "api_key": "${VIGIL_UPLINK_API_KEY}",
                  "ca_file": str(cert), "backoff_initial_s": 0.5, "backoff_max_s": 2.0}  # fmt: skip
        edge_yaml = work / "edge.yaml"
        edge_yaml.write_text(yaml.safe_dump(_site(simulator.port, "site-1", uplink)))
        edge_port = free_port(0)
        edge = Role(
            ["edge", "--config", str(edge_yaml), "--data-dir", str(work / "edge"),
             "--port", str(edge_port)],
            {**env, "VIGIL_UPLINK_API_KEY": edge_key},
        )  # fmt: skip
        edge.start()
        assert edge_key not in edge.output + hub.output  # the key never reaches the logs
        edge_api = Client(f"http://127.0.0.1:{edge_port}")
        started = datetime.now(UTC) - timedelta(minutes=1)

        # Linked: the edge's alerts reach the hub with the same ids; the hub sees it ONLINE.
        first = wait_for("an alert at the hub", hub_api.alerts, 90)
        edge_alert_ids = {a["id"] for a in edge_api.alerts()}
        assert {a["id"] for a in first} <= edge_alert_ids
        online = wait_for(
            "the edge ONLINE at the hub with its queue depth",
            lambda: [
                e for e in hub_api.get("/api/v1/system/edges")
                if e["edge_id"] == "site-1" and e["status"] == "ONLINE"
                and e["queue_depth"] is not None
            ],
            45,
        )  # fmt: skip
        contact = datetime.fromisoformat(online[0]["last_contact"])
        assert abs((datetime.now(UTC) - contact).total_seconds()) < 60
        wait_for(
            "recorded segments at the hub",
            lambda: hub_api.segment_keys(started, datetime.now(UTC) + timedelta(minutes=1)),
            30,
        )

        # The link is cut: the hub is gone; the edge records and alerts on its own.
        hub.stop()
        down = datetime.now(UTC)
        segments_before = len(edge_api.segment_keys(started, down))
        alerts_before = len(edge_api.alerts())
        acked = first[-1]["id"]  # the site's guard acknowledges an alert meanwhile
        assert edge_api.post(f"/api/v1/alerts/{acked}/ack", {})["status"] == "acknowledged"
        wait_for(
            "the edge to report its uplink queue",
            lambda: (
                "hub unreachable"
                in edge_api.get("/api/v1/system/health")["components"]["uplink"]["detail"]
            ),
            30,
        )
        time.sleep(max(0.0, OUTAGE_S - (datetime.now(UTC) - down).total_seconds()))
        wait_for(
            "a new alert at the edge during the outage",
            lambda: len(edge_api.alerts()) > alerts_before,
            60,
        )
        up = datetime.now(UTC)
        during_outage = _alert_ids(edge_api.alerts(), down, up)
        assert during_outage
        assert len(edge_api.segment_keys(started, up)) >= segments_before + 3

        # The link is back: the hub restarts on the same data and port; the queue drains.
        hub.start()
        # Everything up to `up` is final at the edge once its open segment is closed.
        time.sleep(2 * SEGMENT_S)
        final_alerts = _alert_ids(edge_api.alerts(), started, up)
        final_events = edge_api.event_ids(started, up)
        final_segments = edge_api.segment_keys(started, up)

        def caught_up() -> bool:
            return (
                sorted(_alert_ids(hub_api.alerts(), started, up)) == sorted(final_alerts)
                and sorted(hub_api.event_ids(started, up)) == sorted(final_events)
                and sorted(hub_api.segment_keys(started, up)) == sorted(final_segments)
            )

        wait_for("the hub to hold exactly what the edge made", caught_up, 60)
        hub_alerts = _alert_ids(hub_api.alerts(), started, up)
        assert len(hub_alerts) == len(set(hub_alerts))  # no duplicates
        wait_for(
            "the acknowledgement made during the outage at the hub",
            lambda: hub_api.get(f"/api/v1/alerts/{acked}")["status"] == "acknowledged",
            30,
        )
        assert set(during_outage) <= set(hub_alerts)
        hub_segments = hub_api.segment_keys(started, up)
        assert len(hub_segments) == len(set(hub_segments)) == len(final_segments)
        wait_for(
            "the edge ONLINE again at the hub",
            lambda: [e for e in hub_api.get("/api/v1/system/edges") if e["status"] == "ONLINE"],
            30,
        )
        edge.stop()
        hub.stop()
    finally:
        for role in (edge, hub):
            if role is not None:
                role.kill()
