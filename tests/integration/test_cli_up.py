"""`vigil up --demo` as a user runs it: first start prints the admin password once, an alert
arrives within 90 s, SIGTERM stops everything, and a run killed with SIGKILL does not stop the
next start."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.site import wait_for
from vigil.app.demo import free_port

pytestmark = pytest.mark.slow
VIGIL = [sys.executable, "-m", "vigil.cli"]


class Up:
    """A `vigil up --demo` child process with its output collected."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*VIGIL, "up", "--demo", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.port = port
        self.output = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output += line

    def wait_running(self) -> None:
        # The announcement's last line: the lines before it (password or sign-in hint) are in.
        wait_for(
            "'Vigil is running … press Ctrl-C to stop'",
            lambda: "press Ctrl-C to stop" in self.output or self.proc.poll() is not None,
            300,
        )
        assert self.proc.poll() is None, f"vigil up exited:\n{self.output[-3000:]}"

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_ADMIN_PASSWORD"}
    env["COLUMNS"] = "200"  # rich wraps long lines at the terminal width
    return env


def _gone(procs: list[psutil.Process]) -> bool:
    return not [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_demo_lifecycle(tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port(0)
    up = Up(data, port, _env())
    try:
        up.wait_running()
        match = re.search(r"user admin, password (\S+)", up.output)
        assert match, up.output[-2000:]
        password = match.group(1)
        base = f"http://127.0.0.1:{port}"
        r = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": password}
        )
        assert r.status_code == 200
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert len(httpx.get(f"{base}/api/v1/cameras", headers=headers).json()) == 8
        started = time.monotonic()
        wait_for(
            "an alert within 90 s of start",
            lambda: httpx.get(f"{base}/api/v1/alerts", headers=headers).json()["items"],
            90,
        )
        assert time.monotonic() - started < 90
        # Camera URLs are logged, always with the DVR password masked.
        assert re.findall(r"password=[^&\s'\"]*", up.output), "camera URLs are logged"
        assert set(re.findall(r"password=[^&\s'\"]*", up.output)) == {"password=***"}

        # SIGKILL: no chance to clean up. The simulator dies with it (PR_SET_PDEATHSIG);
        # PostgreSQL is left running on the data directory.
        children = up.descendants()
        assert any("vigil.dvr.simulator" in " ".join(p.cmdline()) for p in children)
        up.proc.kill()
        up.proc.wait(10)
        wait_for(
            "the simulator to die with its parent",
            lambda: _gone([p for p in children if "vigil.dvr.simulator" in _cmd(p)]),
            15,
        )
    finally:
        if up.proc.poll() is None:
            up.proc.kill()

    # The next start on the same data directory works, and keeps the first admin password.
    again = Up(data, port, _env())
    try:
        again.wait_running()
        assert "sign in as an existing user" in again.output
        assert password not in again.output  # shown once, on the first run only
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "admin", "password": password},
        )
        assert r.status_code == 200
        children = again.descendants()
        again.proc.send_signal(signal.SIGTERM)
        assert again.proc.wait(60) == 0, again.output[-3000:]
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
    # Nothing left behind: no simulator, no PostgreSQL on this data directory.
    wait_for("every child to exit", lambda: _gone(children), 15)
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(data) in " ".join(p.info["cmdline"] or [])
    ]
    assert _gone(leftovers), [p.info["cmdline"] for p in leftovers]
    assert not (data / "pg" / "postmaster.pid").exists()


def _cmd(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""
