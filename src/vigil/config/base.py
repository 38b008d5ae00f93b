"""What every section of site.yaml shares: the strict model base, ids (`Slug`), severities, and
the cross-reference errors the loader reports with their paths."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="lower-case letters, digits, '-' and '_' (max 63), starting with a letter "
        "or digit",
    ),
]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NO_SOURCE = "missing: a camera on the DVR needs its channel (1-based); one that is not needs url"


class CrossReferenceErrors(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in errors))
        self.errors = errors


def refuse_duplicates(ids: Iterable[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise CrossReferenceErrors([(f"{field}[{i}].id", f"duplicate {what} {value!r}")])
        seen.add(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_L = TypeVar("_L", bound=str)


def checked_literal(value: str, allowed: tuple[_L, ...], what: str) -> _L:
    """`value` as one of `allowed` (a Literal's values), for a value read back from where a
    CHECK constraint keeps it valid (a row's severity, status or role); else ValueError."""
    for known in allowed:
        if value == known:
            return known
    raise ValueError(f"unknown {what} {value!r}")
