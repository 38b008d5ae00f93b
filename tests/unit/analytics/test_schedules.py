"""Schedules in the site's time zone, including windows that wrap past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from vigil.analytics.schedules import is_active
from vigil.config import ScheduleConfig, Weekday

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30, no DST
NIGHT = ScheduleConfig(start=time(22), end=time(6))


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 instant given in Kolkata local time, returned in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=KOLKATA).astimezone(UTC)


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (ist(2, 21, 59), False),
        (ist(2, 22, 0), True),
        (ist(2, 23, 30), True),
        (ist(3, 0, 30), True),
        (ist(3, 5, 59), True),
        (ist(3, 6, 0), False),
        (ist(3, 12, 0), False),
    ],
)
def test_night_mode_in_site_time(when: datetime, active: bool) -> None:
    assert is_active(NIGHT, when, KOLKATA) is active


def test_utc_instant_is_converted_to_site_time() -> None:
    # 17:00 UTC is 22:30 in Kolkata: night there, although not in UTC.
    assert is_active(NIGHT, datetime(2026, 11, 2, 17, 0, tzinfo=UTC), KOLKATA)
    assert not is_active(NIGHT, datetime(2026, 11, 2, 17, 0, tzinfo=UTC), ZoneInfo("UTC"))


def test_wrapped_hours_belong_to_the_day_the_window_started() -> None:
    friday_nights = ScheduleConfig(start=time(22), end=time(6), days=[Weekday.FRI])
    # 2026-11-06 is a Friday.
    assert is_active(friday_nights, ist(6, 23), KOLKATA)
    assert is_active(friday_nights, ist(7, 3), KOLKATA)  # Saturday 03:00, Friday's window
    assert not is_active(friday_nights, ist(7, 23), KOLKATA)  # Saturday night
    assert not is_active(friday_nights, ist(6, 3), KOLKATA)  # Friday 03:00: Thursday's window


def test_holidays_and_always() -> None:
    sched = ScheduleConfig(start=time(9), end=time(17), holidays_off=True)
    assert is_active(sched, ist(2, 10), KOLKATA)
    assert not is_active(sched, ist(2, 10), KOLKATA, frozenset({date(2026, 11, 2)}))
    assert is_active(ScheduleConfig(always=True), ist(2, 3), KOLKATA)
    assert is_active(None, ist(2, 3), KOLKATA)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_active(NIGHT, datetime(2026, 11, 2, 23), KOLKATA)
