"""Is a schedule active at a given instant? Evaluated in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from vigil.clock import utc
from vigil.config import ALL_DAYS, ScheduleConfig

_WEEKDAYS = list(ALL_DAYS)


def is_active(
    schedule: ScheduleConfig | None,
    at: datetime,
    tz: ZoneInfo,
    holidays: frozenset[date] = frozenset(),
) -> bool:
    """True when `at` (tz-aware) falls in the schedule's window in zone `tz`.

    A window whose start is after its end (22:00-06:00) wraps past midnight; the hours after
    midnight belong to the previous day's window, so `days: [fri]` covers Fri 22:00 to Sat 06:00.
    """
    if schedule is None or schedule.always:
        return True
    assert schedule.start is not None and schedule.end is not None  # checked by ScheduleConfig
    local = utc(at).astimezone(tz)
    now_t = local.time()
    if schedule.start < schedule.end:
        in_window = schedule.start <= now_t < schedule.end
        window_day = local.date()
    elif now_t >= schedule.start:
        in_window, window_day = True, local.date()
    elif now_t < schedule.end:
        in_window, window_day = True, local.date() - timedelta(days=1)
    else:
        in_window, window_day = False, local.date()
    if not in_window:
        return False
    if _WEEKDAYS[window_day.weekday()] not in schedule.days:
        return False
    return not (schedule.holidays_off and window_day in holidays)
