"""Times a request or an edge may name: within [1970-01-01, 9999-01-01) UTC, so the arithmetic
done on them (a day's end, a default range) never overflows. Every time the API takes is one of
`Instant`, `AwareInstant` (an offset required) or `Day`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime

# Times a request may name. Python's datetime ends at 9999-12-31: a later bound leaves a year for
# the arithmetic done on a given time (a day's end, a default range) without an OverflowError.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 1, 1, tzinfo=UTC)  # exclusive
_RANGE_TEXT = "must lie between 1970-01-01 and 9998-12-31 (UTC)"


def in_time_range(value: datetime) -> bool:
    """Whether `value` lies in [EARLIEST, LATEST) once in UTC (a naive time is read as UTC;
    the route says whether it needs an offset)."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        return False
    return EARLIEST <= utc < LATEST


def _sane_time(value: datetime) -> datetime:
    if not in_time_range(value):
        raise ValueError(_RANGE_TEXT)
    return value


def _sane_day(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("must lie between 1970-01-01 and 9998-12-31")
    return value


# Use these (not bare datetime/date) for every time a request carries: query and body alike.
Instant = Annotated[datetime, AfterValidator(_sane_time)]
AwareInstant = Annotated[AwareDatetime, AfterValidator(_sane_time)]
Day = Annotated[date, AfterValidator(_sane_day)]
