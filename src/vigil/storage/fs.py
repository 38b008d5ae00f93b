"""Objects as files under `root/<bucket>/<key>`; writes are atomic (temp file + rename)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from vigil.errors import NotFoundError, StorageError
from vigil.storage.base import (
    BUCKETS,
    ByteRange,
    InvalidKeyError,
    ObjectInfo,
    validate_key,
    validate_read_key,
)

log = logging.getLogger(__name__)


class FsObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        for bucket in BUCKETS:
            (self.root / bucket).mkdir(parents=True, exist_ok=True)

    def _path(self, bucket: str, key: str) -> Path:
        validate_key(bucket, key)
        path = (self.root / bucket / key).resolve()
        if not path.is_relative_to(self.root / bucket):  # a symbolic link out of the store
            raise InvalidKeyError(f"invalid object key {key!r} in bucket {bucket!r}")
        return path

    def _read_path(self, bucket: str, key: str) -> Path:
        """The file of an object to read; a key that cannot name one is not found."""
        validate_read_key(bucket, key)
        try:
            return self._path(bucket, key)
        except InvalidKeyError as err:
            raise NotFoundError(f"no object {bucket}/{key}") from err

    @staticmethod
    def _unreadable(bucket: str, key: str, err: OSError) -> NotFoundError:
        """Whatever keeps an object from being read (missing, a directory, a file where a
        directory should be, permissions) is "no object" to a reader; the cause is logged."""
        if not isinstance(err, FileNotFoundError | IsADirectoryError | NotADirectoryError):
            log.warning("cannot read object %s/%s: %s", bucket, key, err.strerror)
        return NotFoundError(f"no object {bucket}/{key}")

    def put_bytes(self, bucket: str, key: str, data: bytes) -> None:
        path = self._path(bucket, key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError as err:
            if tmp is not None:  # a full disk must not keep the part that did fit
                Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"cannot write {bucket}/{key}: {err.strerror}") from err

    def put_file(self, bucket: str, key: str, path: Path, *, move: bool = False) -> None:
        dest = self._path(bucket, key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if move:
                try:
                    os.replace(path, dest)
                    return
                except OSError:  # other filesystem: fall back to copy + delete
                    pass
            tmp = dest.with_name(f".tmp-{dest.name}")
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, dest)
            except OSError:
                tmp.unlink(missing_ok=True)  # a full disk must not keep the part that did fit
                raise
            if move:
                path.unlink(missing_ok=True)
        except OSError as err:
            raise StorageError(f"cannot store {bucket}/{key}: {err.strerror}") from err

    def get_bytes(self, bucket: str, key: str) -> bytes:
        path = self._read_path(bucket, key)
        try:
            return path.read_bytes()
        except OSError as err:
            raise self._unreadable(bucket, key, err) from err

    def get_range(self, bucket: str, key: str, byte_range: ByteRange) -> tuple[bytes, int, int]:
        path = self._read_path(bucket, key)
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                first, last = byte_range.resolve(size)
                f.seek(first)
                return f.read(last - first + 1), first, size
        except OSError as err:
            raise self._unreadable(bucket, key, err) from err

    def exists(self, bucket: str, key: str) -> bool:
        try:
            return self._read_path(bucket, key).is_file()
        except NotFoundError:
            return False

    def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key)
        try:
            path.unlink(missing_ok=True)
        except OSError as err:  # e.g. a read-only or failing disk
            raise StorageError(f"cannot delete {bucket}/{key}: {err.strerror}") from err

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        base = self.root / bucket
        if bucket not in BUCKETS:
            raise StorageError(f"unknown bucket {bucket!r}")
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            key = path.relative_to(base).as_posix()
            if key.startswith(prefix):
                st = path.stat()
                yield ObjectInfo(bucket, key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def local_path(self, bucket: str, key: str) -> Path | None:
        try:
            path = self._read_path(bucket, key)
        except NotFoundError:
            return None
        return path if path.is_file() else None
