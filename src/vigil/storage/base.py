"""The object-store contract: buckets of immutable objects addressed by `bucket` and `key`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from vigil.errors import StorageError

BUCKETS: Final = ("video-segments", "snapshots", "clips", "training-data", "persons")


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    bucket: str
    key: str
    size_bytes: int
    modified: datetime


def validate_key(bucket: str, key: str) -> None:
    """Refuse unknown buckets and keys that could escape the store (absolute, `..`, backslash)."""
    if bucket not in BUCKETS:
        raise StorageError(f"unknown bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise StorageError(f"invalid object key {key!r} in bucket {bucket!r}")


class ObjectStore(Protocol):
    def put_bytes(self, bucket: str, key: str, data: bytes) -> None: ...

    def put_file(self, bucket: str, key: str, path: Path, *, move: bool = False) -> None:
        """Store the file at `path`; with `move`, the source may be consumed (renamed)."""
        ...

    def get_bytes(self, bucket: str, key: str) -> bytes: ...

    def exists(self, bucket: str, key: str) -> bool: ...

    def delete(self, bucket: str, key: str) -> None: ...

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def local_path(self, bucket: str, key: str) -> Path | None:
        """A readable local path for the object when the store is local, else None."""
        ...
