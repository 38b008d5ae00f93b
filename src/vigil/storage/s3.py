"""Objects on S3 or any S3-compatible service (SeaweedFS, MinIO, Ceph) through boto3.

Each Vigil bucket maps to one S3 bucket named `<bucket_prefix><bucket>` (S3 bucket names are
global, so clusters usually set a prefix). Large uploads go in parts (`multipart_threshold`).
Lifecycle tiers (hot → infrequent access → archive → expiry) are S3 lifecycle rules set per
bucket by `ensure_buckets`; the service moves objects between tiers, Vigil never copies them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vigil.errors import NotFoundError, StorageError
from vigil.storage.base import (
    BUCKETS,
    ByteRange,
    ObjectInfo,
    RangeNotSatisfiableError,
    validate_key,
    validate_read_key,
)
from vigil.storage.tiers import LifecycleTiers

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

_MISSING = {"404", "NoSuchKey", "NotFound"}
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_MiB = 1024 * 1024


class S3ObjectStore:
    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        bucket_prefix: str = "",
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        multipart_threshold_bytes: int = 16 * _MiB,
        multipart_chunk_bytes: int = 8 * _MiB,
        max_attempts: int = 5,
    ) -> None:
        """`endpoint_url` None means AWS itself; credentials None means boto3's usual chain
        (environment, files, instance role). `max_attempts`: tries per request, the first
        included (botocore's standard retries, with backoff)."""
        self.bucket_prefix = bucket_prefix
        # Kept to rebuild the client in another process (the ingest pool pickles its store).
        self._args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "bucket_prefix": bucket_prefix,
            "region": region,
            "access_key": access_key,
            "secret_key": secret_key,
            "multipart_threshold_bytes": multipart_threshold_bytes,
            "multipart_chunk_bytes": multipart_chunk_bytes,
            "max_attempts": max_attempts,
        }
        self._client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold_bytes,
            multipart_chunksize=multipart_chunk_bytes,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # A boto3 client does not pickle: the copy builds its own from the same settings.
        return (_rebuild, (self._args,))

    def __repr__(self) -> str:
        return f"S3ObjectStore({self._args['endpoint_url']!r}, prefix={self.bucket_prefix!r})"

    def s3_bucket(self, bucket: str) -> str:
        return f"{self.bucket_prefix}{bucket}"

    def ensure_buckets(self, tiers: Mapping[str, LifecycleTiers] | None = None) -> None:
        """Create missing buckets and set each bucket's lifecycle tiers (if given)."""
        for bucket in BUCKETS:
            name = self.s3_bucket(bucket)
            try:
                self._client.head_bucket(Bucket=name)
            except BotoCoreError as err:
                raise _storage_error(f"cannot reach bucket {name}", err) from err
            except ClientError as err:
                if _code(err) not in _MISSING:
                    raise _storage_error(f"cannot reach bucket {name}", err) from err
                try:
                    self._client.create_bucket(Bucket=name)
                except BotoCoreError as create_err:
                    raise _storage_error(f"cannot create bucket {name}", create_err) from create_err
                except ClientError as create_err:
                    # Another replica starting at the same time may have just made it.
                    if _code(create_err) != "BucketAlreadyOwnedByYou":
                        raise _storage_error(f"cannot create bucket {name}", create_err) from err
            rule = (tiers or {}).get(bucket, LifecycleTiers()).rule()
            if rule is not None:
                try:
                    self._client.put_bucket_lifecycle_configuration(
                        Bucket=name,
                        LifecycleConfiguration={"Rules": [rule]},  # type: ignore[list-item]  # built as a plain dict above
                    )
                except (ClientError, BotoCoreError) as err:
                    raise _storage_error(f"cannot set lifecycle tiers of {name}", err) from err

    def lifecycle_rules(self, bucket: str) -> list[dict[str, Any]]:
        """The lifecycle rules the service holds for `bucket` (empty when none)."""
        name = self.s3_bucket(bucket)
        try:
            rules = self._client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        except ClientError as err:
            if _code(err) == "NoSuchLifecycleConfiguration":
                return []
            raise _storage_error(f"cannot read lifecycle tiers of {name}", err) from err
        except BotoCoreError as err:
            raise _storage_error(f"cannot read lifecycle tiers of {name}", err) from err
        return [dict(rule) for rule in rules]

    def put_bytes(self, bucket: str, key: str, data: bytes) -> None:
        validate_key(bucket, key)
        try:
            self._client.upload_fileobj(
                BytesIO(data), self.s3_bucket(bucket), key, Config=self._transfer
            )
        except (ClientError, BotoCoreError) as err:
            raise _storage_error(f"cannot write {bucket}/{key}", err) from err

    def put_file(self, bucket: str, key: str, path: Path, *, move: bool = False) -> None:
        validate_key(bucket, key)
        try:
            self._client.upload_file(str(path), self.s3_bucket(bucket), key, Config=self._transfer)
        except (ClientError, BotoCoreError, OSError) as err:
            raise _storage_error(f"cannot store {bucket}/{key}", err) from err
        if move:
            path.unlink(missing_ok=True)

    def get_bytes(self, bucket: str, key: str) -> bytes:
        validate_read_key(bucket, key)
        try:
            response = self._client.get_object(Bucket=self.s3_bucket(bucket), Key=key)
            return response["Body"].read()
        except ClientError as err:
            if _code(err) in _MISSING:
                raise NotFoundError(f"no object {bucket}/{key}") from err
            raise _storage_error(f"cannot read {bucket}/{key}", err) from err
        except BotoCoreError as err:
            raise _storage_error(f"cannot read {bucket}/{key}", err) from err

    def get_range(self, bucket: str, key: str, byte_range: ByteRange) -> tuple[bytes, int, int]:
        validate_read_key(bucket, key)
        try:
            response = self._client.get_object(
                Bucket=self.s3_bucket(bucket), Key=key, Range=f"bytes={byte_range.header()}"
            )
            data = response["Body"].read()
        except ClientError as err:
            if _code(err) in _MISSING:
                raise NotFoundError(f"no object {bucket}/{key}") from err
            if _code(err) == "InvalidRange":
                raise RangeNotSatisfiableError(
                    f"bytes {byte_range.header()} lie outside {bucket}/{key}"
                ) from err
            raise _storage_error(f"cannot read {bucket}/{key}", err) from err
        except BotoCoreError as err:
            raise _storage_error(f"cannot read {bucket}/{key}", err) from err
        # "bytes 0-99/1234"; a service may answer 200 with the whole object instead.
        content_range = response.get("ContentRange") or ""
        match = _CONTENT_RANGE.match(content_range)
        if match is None:
            first, last = byte_range.resolve(len(data))
            return data[first : last + 1], first, len(data)
        return data, int(match.group(1)), int(match.group(3))

    def exists(self, bucket: str, key: str) -> bool:
        try:
            validate_read_key(bucket, key)
        except NotFoundError:
            return False
        try:
            self._client.head_object(Bucket=self.s3_bucket(bucket), Key=key)
            return True
        except ClientError as err:
            if _code(err) in _MISSING:
                return False
            raise _storage_error(f"cannot check {bucket}/{key}", err) from err
        except BotoCoreError as err:  # endpoint unreachable, timeouts, bad credentials setup
            raise _storage_error(f"cannot check {bucket}/{key}", err) from err

    def delete(self, bucket: str, key: str) -> None:
        validate_key(bucket, key)
        try:
            self._client.delete_object(Bucket=self.s3_bucket(bucket), Key=key)
        except ClientError as err:
            if _code(err) not in _MISSING:
                raise _storage_error(f"cannot delete {bucket}/{key}", err) from err
        except BotoCoreError as err:
            raise _storage_error(f"cannot delete {bucket}/{key}", err) from err

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        if bucket not in BUCKETS:
            raise StorageError(f"unknown bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.s3_bucket(bucket), Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield ObjectInfo(bucket, obj["Key"], obj["Size"], obj["LastModified"])
        except (ClientError, BotoCoreError) as err:
            raise _storage_error(f"cannot list {bucket}/{prefix}", err) from err

    def local_path(self, bucket: str, key: str) -> Path | None:
        return None


def _rebuild(args: dict[str, Any]) -> S3ObjectStore:
    return S3ObjectStore(**args)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _storage_error(what: str, err: Exception) -> StorageError:
    # The service's message only: botocore's str() can include the request URL.
    reason = _code(err) if isinstance(err, ClientError) else type(err).__name__
    return StorageError(f"{what}: {reason}")
