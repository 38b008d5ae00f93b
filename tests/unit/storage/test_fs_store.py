"""The filesystem object store: atomic writes, no way out of the store."""

from __future__ import annotations

import subprocess
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
        store.put_bytes("snapshots", key, b"x")
    with pytest.raises(NotFoundError):  # a reader asked for something that is not there
        store.get_bytes("snapshots", key)


def test_a_link_out_of_the_store_is_not_followed(tmp_path: Path) -> None:
    store = FsObjectStore(tmp_path / "objects")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (tmp_path / "objects" / "snapshots" / "cam1").mkdir()
    (tmp_path / "objects" / "snapshots" / "cam1" / "out.jpg").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(NotFoundError):
        store.get_bytes("snapshots", "cam1/out.jpg")
    assert store.local_path("snapshots", "cam1/out.jpg") is None
    assert not store.exists("snapshots", "cam1/out.jpg")


def test_unknown_bucket(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unknown bucket"):
        FsObjectStore(tmp_path).put_bytes("secrets", "k", b"")


def test_a_full_disk_refuses_the_object_and_leaves_no_partial_file(tmp_path: Path) -> None:
    """On a real 1 MiB tmpfs (needs root, as the recording tests do): the write fails with
    the system's reason and the part that did fit is not left behind."""
    root = tmp_path / "small"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)], capture_output=True
    )
    assert mounted.returncode == 0, (
        f"this test needs root (CAP_SYS_ADMIN) to mount a tmpfs: {mounted.stderr!r}"
    )
    try:
        store = FsObjectStore(root)
        big = tmp_path / "segment.mp4"  # on the ordinary disk: put_file copies across filesystems
        big.write_bytes(b"\x00" * (2 << 20))
        with pytest.raises(StorageError, match="No space left on device"):
            store.put_file("video-segments", "cam1/a.mp4", big, move=True)
        with pytest.raises(StorageError, match="No space left on device"):
            store.put_bytes("snapshots", "cam1/a.jpg", b"\x00" * (2 << 20))
        leftovers = [p.name for p in root.rglob("*") if p.is_file()]
        assert leftovers == []
        assert big.exists()  # a failed move keeps the source
        store.put_bytes("snapshots", "cam1/b.jpg", b"fits")  # the space came back
        assert store.get_bytes("snapshots", "cam1/b.jpg") == b"fits"
    finally:
        subprocess.run(["umount", str(root)], check=False)
