"""Opaque keyset cursors: (timestamp, id) of the last row of a page, newest first."""

from __future__ import annotations

import base64
from datetime import datetime

from vigil.errors import VigilError
from vigil.model.times import in_time_range


class BadCursorError(VigilError):
    status_code = 400


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadCursorError(
            "cursor: not a cursor this API issued; start from the first page"
        ) from err
    if parsed.tzinfo is None or not in_time_range(parsed):
        raise BadCursorError("cursor: not a cursor this API issued")
    return parsed, row_id
