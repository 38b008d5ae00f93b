"""ONE contract suite for the `ObjectStore` protocol, run against every implementation: the
filesystem store and the S3 store on a real S3 service (SeaweedFS)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError

from tests.support.engines import free_port
from vigil.errors import NotFoundError, StorageError
from vigil.storage import FsObjectStore
from vigil.storage.base import ByteRange, ObjectStore, RangeNotSatisfiableError
from vigil.storage.s3 import LifecycleTiers, S3ObjectStore

_MiB = 1024 * 1024


@pytest.fixture(params=["fs", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "fs":
        yield FsObjectStore(tmp_path / "objects")
        return
    # A fresh set of buckets per test; small parts so the multipart path runs on a few MiB.
    s3 = S3ObjectStore(
        request.getfixturevalue("s3_endpoint"),
        bucket_prefix=f"t{uuid.uuid4().hex[:8]}-",
        access_key="vigil",
        secret_key="vigil-test-secret",
        multipart_threshold_bytes=5 * _MiB,
        multipart_chunk_bytes=5 * _MiB,
    )
    s3.ensure_buckets()
    yield s3


def test_put_get_exists_delete(store: ObjectStore) -> None:
    store.put_bytes("snapshots", "cam1/2026/11/02/a.jpg", b"jpeg")
    assert store.exists("snapshots", "cam1/2026/11/02/a.jpg")
    assert store.get_bytes("snapshots", "cam1/2026/11/02/a.jpg") == b"jpeg"
    store.put_bytes("snapshots", "cam1/2026/11/02/a.jpg", b"jpeg v2")  # overwrite
    assert store.get_bytes("snapshots", "cam1/2026/11/02/a.jpg") == b"jpeg v2"
    store.delete("snapshots", "cam1/2026/11/02/a.jpg")
    assert not store.exists("snapshots", "cam1/2026/11/02/a.jpg")
    store.delete("snapshots", "cam1/2026/11/02/a.jpg")  # deleting twice is fine


def test_missing_object_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFoundError, match=r"no object clips/cam9/none\.mp4"):
        store.get_bytes("clips", "cam9/none.mp4")
    assert not store.exists("clips", "cam9/none.mp4")


def test_list_by_prefix_with_sizes(store: ObjectStore) -> None:
    for key, size in [("cam1/a.mp4", 3), ("cam1/b.mp4", 5), ("cam2/a.mp4", 7)]:
        store.put_bytes("video-segments", key, b"x" * size)
    listed = {o.key: o.size_bytes for o in store.list("video-segments", "cam1/")}
    assert listed == {"cam1/a.mp4": 3, "cam1/b.mp4": 5}
    everything = list(store.list("video-segments"))
    assert sorted(o.key for o in everything) == ["cam1/a.mp4", "cam1/b.mp4", "cam2/a.mp4"]
    assert all(o.bucket == "video-segments" and o.modified.tzinfo is not None for o in everything)
    assert list(store.list("training-data")) == []


def test_put_file_moves_or_copies(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "seg.mp4"
    src.write_bytes(b"mp4")
    store.put_file("video-segments", "cam1/copy.mp4", src)
    assert src.exists()
    store.put_file("video-segments", "cam1/moved.mp4", src, move=True)
    assert not src.exists()
    assert store.get_bytes("video-segments", "cam1/moved.mp4") == b"mp4"
    assert store.get_bytes("video-segments", "cam1/copy.mp4") == b"mp4"


def test_large_objects_survive_intact(store: ObjectStore, tmp_path: Path) -> None:
    """12 MiB: three parts on S3 (5 MiB parts)."""
    data = os.urandom(12 * _MiB + 123)
    src = tmp_path / "big.mp4"
    src.write_bytes(data)
    store.put_file("video-segments", "cam1/big.mp4", src)
    store.put_bytes("training-data", "models/big.onnx", data)
    assert store.get_bytes("video-segments", "cam1/big.mp4") == data
    assert store.get_bytes("training-data", "models/big.onnx") == data
    assert [o.size_bytes for o in store.list("video-segments", "cam1/big")] == [len(data)]


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\b", "", "a/./b"]
)
def test_keys_cannot_escape(store: ObjectStore, key: str) -> None:
    for attempt in (
        lambda: store.put_bytes("snapshots", key, b"x"),
        lambda: store.delete("snapshots", key),
    ):
        with pytest.raises(StorageError, match="invalid object key"):
            attempt()
    # To a reader such a key names nothing: not found (404 at the API), as a missing object.
    with pytest.raises(NotFoundError):
        store.get_bytes("snapshots", key)
    with pytest.raises(NotFoundError):
        store.get_range("snapshots", key, ByteRange(0, 1))
    assert not store.exists("snapshots", key)
    assert store.local_path("snapshots", key) is None


def test_a_key_naming_a_folder_is_not_found(store: ObjectStore) -> None:
    store.put_bytes("snapshots", "cam1/2026/11/02/a.jpg", b"jpeg")
    for folder in ("cam1/2026", "cam1/2026/11/02"):
        with pytest.raises(NotFoundError, match=f"no object snapshots/{folder}"):
            store.get_bytes("snapshots", folder)
        with pytest.raises(NotFoundError):
            store.get_range("snapshots", folder, ByteRange(0, 1))
        assert not store.exists("snapshots", folder)
        assert store.local_path("snapshots", folder) is None
    with pytest.raises(NotFoundError):  # a file where a folder should be
        store.get_bytes("snapshots", "cam1/2026/11/02/a.jpg/b.jpg")


def test_unknown_bucket_refused(store: ObjectStore) -> None:
    with pytest.raises(StorageError, match="unknown bucket"):
        store.put_bytes("secrets", "k", b"")
    with pytest.raises(StorageError, match="unknown bucket"):
        list(store.list("secrets"))


def test_an_unreachable_s3_endpoint_keeps_to_the_error_contract() -> None:
    """Nothing listens on the endpoint (a closed port): every operation raises the store's
    StorageError, caused by botocore's own error, never a bare botocore exception."""
    store = S3ObjectStore(
        f"http://127.0.0.1:{free_port()}",
        access_key="vigil",
        secret_key="vigil-test-secret",
        max_attempts=1,  # the same errors after 5 attempts, only slower
    )
    calls: list[tuple[str, Callable[[], object]]] = [
        ("cannot check", lambda: store.exists("clips", "cam1/a.mp4")),
        ("cannot delete", lambda: store.delete("clips", "cam1/a.mp4")),
        ("cannot list", lambda: list(store.list("clips", "cam1/"))),
        ("cannot read", lambda: store.get_bytes("clips", "cam1/a.mp4")),
        ("cannot write", lambda: store.put_bytes("clips", "cam1/a.mp4", b"x")),
        ("cannot reach bucket", store.ensure_buckets),
        ("cannot read lifecycle tiers", lambda: store.lifecycle_rules("clips")),
    ]
    for what, call in calls:
        with pytest.raises(StorageError, match=what) as raised:
            call()
        assert isinstance(raised.value.__cause__, BotoCoreError), what
        assert "127.0.0.1" not in raised.value.detail  # botocore's text holds the URL


def test_lifecycle_tiers_become_s3_rules() -> None:
    assert LifecycleTiers().rule() is None
    rule = LifecycleTiers(infrequent_after_days=7, archive_after_days=30, expire_after_days=365)
    assert rule.rule() == {
        "ID": "vigil-tiers",
        "Status": "Enabled",
        "Filter": {},
        "Transitions": [
            {"Days": 7, "StorageClass": "STANDARD_IA"},
            {"Days": 30, "StorageClass": "GLACIER"},
        ],
        "Expiration": {"Days": 365},
    }


def test_s3_buckets_get_their_lifecycle_tiers(s3_endpoint: str) -> None:
    store = S3ObjectStore(
        s3_endpoint, bucket_prefix=f"t{uuid.uuid4().hex[:8]}-", access_key="a", secret_key="b"
    )
    store.ensure_buckets({"clips": LifecycleTiers(expire_after_days=90)})
    store.ensure_buckets({"clips": LifecycleTiers(expire_after_days=90)})  # idempotent
    assert store.lifecycle_rules("clips") == [
        {"ID": "vigil-tiers", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 90}}
    ]
    assert store.lifecycle_rules("snapshots") == []
    # SeaweedFS has no storage classes: a service that refuses a tier says so, by bucket.
    with pytest.raises(StorageError, match=r"cannot set lifecycle tiers of t\w+-clips: NotImpl"):
        store.ensure_buckets({"clips": LifecycleTiers(infrequent_after_days=7)})


def test_byte_ranges_read_only_what_is_asked(store: ObjectStore) -> None:
    data = bytes(range(256)) * 40  # 10 240 bytes
    store.put_bytes("video-segments", "cam1/seg.mp4", data)

    def read(first: int | None, last: int | None) -> tuple[bytes, int, int]:
        return store.get_range("video-segments", "cam1/seg.mp4", ByteRange(first, last))

    assert read(0, 99) == (data[:100], 0, 10_240)
    assert read(10_000, None) == (data[10_000:], 10_000, 10_240)
    assert read(None, 16) == (data[-16:], 10_224, 10_240)  # the last 16 bytes
    assert read(10_200, 99_999) == (data[10_200:], 10_200, 10_240)  # clipped to the end
    with pytest.raises(RangeNotSatisfiableError, match="10240"):
        ByteRange(10_240, None).resolve(10_240)
    with pytest.raises(RangeNotSatisfiableError):
        read(10_240, None)
    with pytest.raises(NotFoundError, match=r"video-segments/cam1/none\.mp4"):
        store.get_range("video-segments", "cam1/none.mp4", ByteRange(0, 1))
