"""A running site (real simulator, walking people) takes zones and rules made through the API
without a restart: a whole-frame zone with an intrusion rule raises an alert, a line rule
keeps raising them, and deleting the rules stops new alerts."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.site import RunningSite, running_site, wait_for
from vigil.clock import SystemClock

pytestmark = pytest.mark.slow
WHOLE = [[0, 0], [1, 0], [1, 1], [0, 1]]
QUIET_S = 40  # several times the interval between crossings seen while the rule runs


def _alerts(site: RunningSite, rule_id: str) -> list[dict[str, Any]]:
    r = site.api("GET", "/api/v1/alerts", params={"limit": 500})
    r.raise_for_status()
    return [a for a in r.json()["items"] if a["rule_id"] == rule_id]


def _rules_health(site: RunningSite) -> str:
    r = site.api("GET", "/api/v1/system/health")
    r.raise_for_status()
    return str(r.json()["components"]["rules"]["detail"])


def test_api_zone_and_rules_take_effect_and_stop_without_restart(tmp_path: Path) -> None:
    with running_site(tmp_path / "site", channels=1, rules=[]) as site:
        assert _rules_health(site).startswith("0 rule(s) running")
        zone = {"camera_id": "gate", "id": "everywhere", "name": "Whole view", "polygon": WHOLE}
        assert site.api("POST", "/api/v1/zones", json=zone).status_code == 201
        rules = [
            {"id": "anyone", "name": "Anyone in view", "cameras": ["gate"],
             "zones": ["everywhere"]},
            {"id": "crossing", "name": "Crossing the middle", "type": "line_crossing",
             "cameras": ["gate"], "line": [[0.5, 0.0], [0.5, 1.0]]},
        ]  # fmt: skip
        for rule in rules:
            r = site.api("POST", "/api/v1/rules", json=rule)
            assert r.status_code == 201, r.text

        alert = wait_for(
            "an alert of the API's intrusion rule", lambda: _alerts(site, "anyone"), 90
        )
        assert alert[0]["camera_id"] == "gate" and alert[0]["type"] == "zone_intrusion"
        # While it runs, the line rule keeps alerting (people cross the plaza all the time).
        wait_for("two crossings", lambda: len(_alerts(site, "crossing")) >= 2, 90)

        for rule_id in ("crossing", "anyone"):
            assert site.api("DELETE", f"/api/v1/rules/{rule_id}").status_code == 200
        wait_for("the reload", lambda: _rules_health(site).startswith("0 rule(s)"), 10)
        # A frame analysed just before the reload may still be being recorded.
        stopped = SystemClock().now() + timedelta(seconds=2)
        time.sleep(QUIET_S)
        late = [
            a
            for rule_id in ("crossing", "anyone")
            for a in _alerts(site, rule_id)
            if datetime.fromisoformat(a["created_at"]) > stopped
        ]
        assert late == []
