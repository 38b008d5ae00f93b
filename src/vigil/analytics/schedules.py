"""Is a schedule active at a given instant? Evaluated in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vigil.clock import utc
from vigil.config import ALL_DAYS, ScheduleConfig, Weekday

_WEEKDAYS = list(ALL_DAYS)


def _window_day(start: time, end: time, local: datetime) -> date | None:
    """The local date whose window contains `local`, or None when it is outside the window.

    A window whose start is after its end (22:00-06:00) wraps past midnight; the hours after
    midnight belong to the previous day's window, so `days: [fri]` covers Fri 22:00 to Sat 06:00.
    """
    now_t = local.time()
    if start < end:
        return local.date() if start <= now_t < end else None
    if now_t >= start:
        return local.date()
    if now_t < end:
        return local.date() - timedelta(days=1)
    return None


def _in(days: list[Weekday], start: time, end: time, local: datetime) -> date | None:
    day = _window_day(start, end, local)
    if day is None or _WEEKDAYS[day.weekday()] not in days:
        return None
    return day


def is_active(
    schedule: ScheduleConfig | None,
    at: datetime,
    tz: ZoneInfo,
    holidays: frozenset[date] = frozenset(),
) -> bool:
    """True when `at` (tz-aware) falls in the schedule's window(s) in zone `tz`.

    Holidays are judged by the date the window started on (a night that starts on a holiday
    is the holiday's night); `holidays_all_day` makes a holiday's calendar date active.
    """
    if schedule is None or schedule.always:
        return True
    local = utc(at).astimezone(tz)
    if schedule.holidays_all_day and local.date() in holidays:
        return True
    if schedule.windows:
        spans = [(w.days, w.start, w.end) for w in schedule.windows]
    else:
        assert schedule.start is not None and schedule.end is not None  # checked by config
        spans = [(schedule.days, schedule.start, schedule.end)]
    for days, start, end in spans:
        day = _in(days, start, end, local)
        if day is not None and not (schedule.holidays_off and day in holidays):
            return True
    return False
