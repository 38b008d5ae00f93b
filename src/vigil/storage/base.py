"""The object-store contract: buckets of immutable objects addressed by `bucket` and `key`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from vigil.errors import NotFoundError, StorageError

BUCKETS: Final = ("video-segments", "snapshots", "clips", "training-data", "persons")
# The grammar of keys that arrive from outside (an edge's uplink): two or more plain names
# of letters, digits, '_', '.', '-', each starting with a letter or digit (so no '.', '..',
# hidden files, empty parts, backslashes or absolute keys).
PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+")


class InvalidKeyError(StorageError):
    """A key that cannot name an object (it could escape the store)."""


def plain_key(key: str) -> bool:
    """Whether `key` follows PLAIN_KEY, the grammar for keys given by other machines."""
    return PLAIN_KEY.fullmatch(key) is not None


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
        raise InvalidKeyError(f"invalid object key {key!r} in bucket {bucket!r}")


def validate_read_key(bucket: str, key: str) -> None:
    """`validate_key` for reads: a key that cannot name an object names none (NotFoundError,
    404 at the API), as a missing object does."""
    try:
        validate_key(bucket, key)
    except InvalidKeyError as err:
        raise NotFoundError(f"no object {bucket}/{key!r}") from err


class RangeNotSatisfiableError(StorageError):
    status_code = 416


@dataclass(frozen=True, slots=True)
class ByteRange:
    """One HTTP byte range: `first`-`last` inclusive (`last` None: to the end), or, with
    `first` None, the last `last` bytes (a suffix range, `bytes=-N`)."""

    first: int | None
    last: int | None

    def __post_init__(self) -> None:
        if self.first is None and self.last is None:
            raise ValueError("a byte range needs a first byte or a suffix length")

    def resolve(self, size: int) -> tuple[int, int]:
        """(first, last) inclusive within an object of `size` bytes."""
        if self.first is None:
            assert self.last is not None
            first, last = max(0, size - self.last), size - 1
        else:
            first = self.first
            last = size - 1 if self.last is None else min(self.last, size - 1)
        if first >= size or last < first:
            raise RangeNotSatisfiableError(
                f"bytes {self.header()} lie outside the object's {size} bytes"
            )
        return first, last

    def header(self) -> str:
        """As in an HTTP Range header: `a-b`, `a-` or `-n`."""
        first = "" if self.first is None else str(self.first)
        last = "" if self.last is None else str(self.last)
        return f"{first}-{last}"


class ObjectStore(Protocol):
    def put_bytes(self, bucket: str, key: str, data: bytes) -> None: ...

    def put_file(self, bucket: str, key: str, path: Path, *, move: bool = False) -> None:
        """Store the file at `path`; with `move`, the source may be consumed (renamed)."""
        ...

    def get_bytes(self, bucket: str, key: str) -> bytes: ...

    def get_range(self, bucket: str, key: str, byte_range: ByteRange) -> tuple[bytes, int, int]:
        """The bytes of `byte_range` as (data, first byte's offset, whole object's size),
        read without fetching the rest; `RangeNotSatisfiableError` when it lies outside."""
        ...

    def exists(self, bucket: str, key: str) -> bool: ...

    def delete(self, bucket: str, key: str) -> None: ...

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def local_path(self, bucket: str, key: str) -> Path | None:
        """A readable local path for the object when the store is local, else None."""
        ...
