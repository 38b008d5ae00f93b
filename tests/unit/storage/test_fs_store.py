"""The filesystem object store: atomic writes, no way out of the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.errors import NotFoundError, StorageError
from vigil.storage import FsObjectStore


def test_put_get_list_delete(tmp_path: Path) -> None:
    store = FsObjectStore(tmp_path / "objects")
    store.put_bytes("snapshots", "cam1/2026/11/02/a.jpg", b"jpeg")
    src = tmp_path / "seg.mp4"
    src.write_bytes(b"mp4")
    store.put_file("video-segments", "cam1/x.mp4", src, move=True)
    assert not src.exists()
    assert store.get_bytes("snapshots", "cam1/2026/11/02/a.jpg") == b"jpeg"
    assert [o.key for o in store.list("video-segments")] == ["cam1/x.mp4"]
    assert store.local_path("video-segments", "cam1/x.mp4") is not None
    store.delete("snapshots", "cam1/2026/11/02/a.jpg")
    assert not store.exists("snapshots", "cam1/2026/11/02/a.jpg")
    with pytest.raises(NotFoundError):
        store.get_bytes("snapshots", "cam1/2026/11/02/a.jpg")


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\b", "", "a/./b"]
)
def test_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    store = FsObjectStore(tmp_path)
    with pytest.raises(StorageError, match="invalid object key"):
        store.get_bytes("snapshots", key)


def test_unknown_bucket(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unknown bucket"):
        FsObjectStore(tmp_path).put_bytes("secrets", "k", b"")
