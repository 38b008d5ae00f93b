"""Monthly partitions of `events`, created ahead of time.

Rows for a month without a partition land in `events_default`; creating the month's
partition later moves them there (see `vigil_ensure_event_partitions` in the migrations).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from vigil.clock import utc


def month_start(when: datetime) -> date:
    """First day of `when`'s month, in UTC (partitions are UTC months)."""
    return utc(when).date().replace(day=1)


def partition_name(month: date) -> str:
    """`events_yYYYYmMM`, the name of the partition holding `month`."""
    return f"events_y{month.year:04d}m{month.month:02d}"


def ensure_event_partitions(session: Session, around: datetime, months_ahead: int = 2) -> int:
    """Make sure partitions exist for the month of `around` and `months_ahead` after it.

    Returns how many partitions were created. Runs in the caller's transaction (DDL and a
    brief lock that holds back event inserts while rows move); the caller commits. Call it
    at startup and daily.
    """
    if months_ahead < 0:
        raise ValueError(f"months_ahead must be >= 0, got {months_ahead}")
    created = session.execute(
        text("SELECT vigil_ensure_event_partitions(:month, :months)"),
        {"month": month_start(around), "months": months_ahead + 1},
    ).scalar_one()
    return int(created)
