"""Rule and calendar configuration: every mistake is reported with its path."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.unit.analytics.scenario import site
from vigil.analytics.schedules import is_active
from vigil.analytics.scoring import score
from vigil.config import ScheduleConfig, Weekday, WindowConfig
from vigil.errors import ConfigError

KOLKATA = ZoneInfo("Asia/Kolkata")


def _errors(*rules: dict[str, Any], **extra: Any) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        site(*rules, **extra)
    return list(info.value.errors)


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        ({"type": "line_crossing"}, "rules[0].line", "required"),
        ({"type": "line_crossing", "line": [[0, 0], [0, 0]]}, "rules[0].line", "equal"),
        ({"type": "line_crossing", "line": [[0, 0], [2, 0]]}, "rules[0].line", "0..1"),
        ({"type": "abandoned_object"}, "rules[0].classes", "not a person"),
        ({"type": "crowd", "min_people": 1}, "rules[0].min_people", "greater than or equal"),
        ({"type": "loiter"}, "rules[0].type", "loitering"),
        ({"night_schedule": "nite"}, "rules[0].night_schedule", "unknown schedule"),
        ({"direction": "sideways"}, "rules[0].direction", "'in'"),
        ({"dwell_s": 0}, "rules[0].dwell_s", "greater than 0"),
    ],
)
def test_rule_errors_name_the_field(rule: dict[str, Any], path: str, words: str) -> None:
    errors = _errors(rule)
    assert any(p == path and words in m for p, m in errors), errors


def test_calendar_window_errors_are_located() -> None:
    errors = _errors(
        {"type": "zone_intrusion"},
        schedules={"week": {"windows": [{"start": "09:00", "end": "09:00"}]}},
    )
    assert any(p.startswith("schedules.week.windows[0]") and "equal" in m for p, m in errors)


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026 in Kolkata (the 2nd is a Monday), as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=KOLKATA).astimezone(UTC)


# Office hours are guarded differently: weekday nights from 20:00, and all weekend.
CALENDAR = ScheduleConfig(
    windows=[
        WindowConfig(
            days=[Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
            start=time(20),
            end=time(8),
        ),
        WindowConfig(days=[Weekday.SAT, Weekday.SUN], start=time(0), end=time(23, 59)),
    ],
    holidays_all_day=True,
)
HOLIDAYS = frozenset({date(2026, 11, 4)})  # a Wednesday


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (ist(2, 12), False),  # Monday noon
        (ist(2, 21), True),  # Monday night
        (ist(3, 7, 59), True),  # Monday's night runs into Tuesday
        (ist(3, 8), False),
        (ist(4, 12), True),  # the holiday, all day
        (ist(7, 12), True),  # Saturday
        (ist(8, 23, 59), False),  # Sunday's window ends at 23:59
        (ist(6, 23), True),  # Friday night
    ],
)
def test_weekly_calendar_with_holidays(when: datetime, active: bool) -> None:
    assert is_active(CALENDAR, when, KOLKATA, HOLIDAYS) is active


def test_holidays_off_uses_the_day_the_window_started() -> None:
    night = ScheduleConfig(start=time(22), end=time(6), holidays_off=True)
    assert not is_active(night, ist(4, 23), KOLKATA, HOLIDAYS)
    assert not is_active(night, ist(5, 2), KOLKATA, HOLIDAYS)  # still the holiday's night
    assert is_active(night, ist(5, 23), KOLKATA, HOLIDAYS)


@pytest.mark.parametrize(
    ("base", "zone", "night", "prior", "conf", "expected"),
    [
        ("high", "normal", False, 0, 0.9, "high"),
        ("high", "critical", False, 0, 0.9, "critical"),
        ("medium", "low", False, 0, 0.9, "low"),
        ("medium", None, True, 0, 0.9, "high"),
        ("medium", None, False, 2, 0.9, "high"),
        ("medium", None, False, 1, 0.9, "medium"),
        ("medium", None, False, 0, 0.55, "low"),
        ("info", "low", False, 0, 0.5, "info"),  # clamped at the bottom
        ("critical", "critical", True, 5, 0.9, "critical"),  # and at the top
    ],
)
def test_severity_scoring(
    base: str, zone: str | None, night: bool, prior: int, conf: float, expected: str
) -> None:
    got = score(
        base,
        zone_criticality=zone,
        night=night,
        prior_incidents=prior,
        confidence=conf,
        min_confidence=0.5,
    )
    assert got.severity == expected
    assert (got.reasons == ()) is (
        zone in (None, "normal") and not night and prior < 2 and conf >= 0.6
    )


@pytest.mark.parametrize(
    ("alerts", "path", "words"),
    [
        (
            {"recipients": [{"username": "o", "channels": ["sms"]}]},
            "alerts.recipients[0]",
            "needs phone",
        ),
        ({"escalate_after_s": {"urgent": 60}}, "alerts.escalate_after_s.urgent", "'critical'"),
        (
            {"channels": {"webhook": {"url": "http://x"}}},
            "alerts.channels.webhook.secret",
            "missing",
        ),
        ({"channels": {"alarm": {"command": []}}}, "alerts.channels.alarm.command", "at least 1"),
        ({"retries": 11}, "alerts.retries", "less than or equal to 10"),
    ],
)
def test_alerts_section_errors_name_the_field(
    alerts: dict[str, Any], path: str, words: str
) -> None:
    errors = _errors({"type": "zone_intrusion"}, alerts=alerts)
    assert any(p.startswith(path) and words in m for p, m in errors), errors
