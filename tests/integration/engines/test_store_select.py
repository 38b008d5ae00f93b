"""Which object store a process gets from its environment: the local disk by default and
always on an edge; S3 (SeaweedFS here) with its buckets and tiers when VIGIL_S3_ENDPOINT is
set; a clear error naming the endpoint (never its password) when it cannot be used."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest

from tests.support.engines import free_port
from vigil.config import StorageConfig, TierConfig
from vigil.errors import ConfigError, StorageError
from vigil.storage import FsObjectStore
from vigil.storage.s3 import S3ObjectStore
from vigil.storage.select import lifecycle_tiers, object_store_for, s3_settings

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "vigil", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"}


def test_without_an_endpoint_every_role_keeps_objects_on_the_local_disk(tmp_path: Path) -> None:
    for role in ("all", "hub", "analytics"):
        store = object_store_for(role, tmp_path, environ={"VIGIL_S3_ENDPOINT": "  "})
        assert isinstance(store, FsObjectStore) and store.root == tmp_path / "objects"


def test_the_edge_keeps_its_ring_buffer_even_when_s3_is_set(tmp_path: Path) -> None:
    env = {"VIGIL_S3_ENDPOINT": "http://127.0.0.1:1", **CREDENTIALS}
    assert isinstance(object_store_for("edge", tmp_path, environ=env), FsObjectStore)


def test_hub_and_workers_use_s3_with_buckets_and_tiers(s3_endpoint: str, tmp_path: Path) -> None:
    prefix = f"sel{uuid.uuid4().hex[:8]}-"
    env = {"VIGIL_S3_ENDPOINT": s3_endpoint, "VIGIL_S3_BUCKET_PREFIX": prefix, **CREDENTIALS}
    tiers = lifecycle_tiers(StorageConfig(tiers={"clips": TierConfig(expire_after_days=90)}))
    for role in ("hub", "notify", "all"):
        store = object_store_for(role, tmp_path, tiers=tiers, environ=env)
        assert isinstance(store, S3ObjectStore) and store.bucket_prefix == prefix
    assert isinstance(store, S3ObjectStore)
    store.put_bytes("snapshots", "cam/1.jpg", b"jpeg")  # the buckets exist
    assert store.get_bytes("snapshots", "cam/1.jpg") == b"jpeg"
    assert store.lifecycle_rules("clips") == [
        {"ID": "vigil-tiers", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 90}}
    ]
    assert not (tmp_path / "objects").exists()  # nothing written locally


def test_region_comes_from_vigil_s3_region_then_aws_region() -> None:
    base = {"VIGIL_S3_ENDPOINT": "https://s3.example.net/"}
    assert s3_settings(base) is not None
    assert s3_settings(base).region == "us-east-1"  # type: ignore[union-attr]  # checked above
    with_aws = {**base, "AWS_REGION": "eu-central-1"}
    assert s3_settings(with_aws).region == "eu-central-1"  # type: ignore[union-attr]  # set
    both = {**with_aws, "VIGIL_S3_REGION": "ap-south-1"}
    settings = s3_settings(both)
    assert settings is not None and settings.region == "ap-south-1"
    assert settings.endpoint_url == "https://s3.example.net"


def test_an_unreachable_endpoint_is_named_without_its_password(tmp_path: Path) -> None:
    env = {"VIGIL_S3_ENDPOINT": f"http://user:s3cret@127.0.0.1:{free_port()}", **CREDENTIALS}
    with pytest.raises(StorageError) as caught:
        object_store_for("hub", tmp_path, environ=env)
    detail = caught.value.detail
    assert "VIGIL_S3_ENDPOINT" in detail and "cannot connect" in detail
    assert "http://127.0.0.1:" in detail and "s3cret" not in detail


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("seaweedfs:8333", "must be an http(s):// URL, got 'seaweedfs:8333'"),
        ("ftp://u:pw@host/", "must be an http(s):// URL, got 'ftp://host/'"),
    ],
)
def test_an_endpoint_that_is_no_url_is_refused(endpoint: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        s3_settings({"VIGIL_S3_ENDPOINT": endpoint})
    assert caught.value.errors == [("VIGIL_S3_ENDPOINT", message)]


@pytest.mark.parametrize(
    ("tiers", "error"),
    [
        ({"archive_after_days": 30, "infrequent_after_days": 30}, "archive_after_days (30) must"),
        ({"expire_after_days": 7, "archive_after_days": 30}, "expire_after_days (7) must be more"),
        ({"expire_after_days": 0}, "greater than or equal to 1"),
    ],
)
def test_tiers_out_of_order_are_refused(tiers: dict[str, int], error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        StorageConfig.model_validate({"tiers": {"video-segments": tiers}})
    with pytest.raises(ValueError, match=r"tiers\.recordings"):
        StorageConfig.model_validate({"tiers": {"recordings": {}}})


def test_an_s3_store_survives_pickling_for_ingest_processes(s3_endpoint: str) -> None:
    # `vigil up` with many cameras sends its store to ingest child processes.
    store = S3ObjectStore(
        s3_endpoint, bucket_prefix=f"pk{uuid.uuid4().hex[:8]}-", access_key="a", secret_key="b"
    )
    store.ensure_buckets()
    copy = pickle.loads(pickle.dumps(store))
    copy.put_bytes("video-segments", "gate/1.mp4", b"segment")
    assert store.get_bytes("video-segments", "gate/1.mp4") == b"segment"
    assert "secret" not in repr(copy) and "'b'" not in repr(copy)
