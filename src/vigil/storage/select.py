"""Which object store a process uses: S3 when `VIGIL_S3_ENDPOINT` is set, else the local disk.

The edge always keeps its recordings on its own disk (a ring buffer it uploads from), so it
never uses S3. The hub, the workers and `vigil up` use S3 when the endpoint is set:

- `VIGIL_S3_ENDPOINT`: the service's URL, e.g. http://seaweedfs:8333 (AWS: its regional URL).
- `VIGIL_S3_BUCKET_PREFIX`: put before each bucket name (S3 names are global), e.g. `acme-`.
- `VIGIL_S3_REGION` (else `AWS_REGION`, `AWS_DEFAULT_REGION`, then us-east-1).
- Credentials: boto3's usual chain (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, files,
  instance role); they never appear in logs or errors.

Buckets are created and their lifecycle tiers set once, at start (`ensure_buckets`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from vigil.config import StorageConfig
from vigil.errors import ConfigError, StorageError
from vigil.storage.base import ObjectStore
from vigil.storage.fs import FsObjectStore
from vigil.storage.tiers import LifecycleTiers

log = logging.getLogger(__name__)

S3_ENDPOINT_ENV: Final = "VIGIL_S3_ENDPOINT"
S3_BUCKET_PREFIX_ENV: Final = "VIGIL_S3_BUCKET_PREFIX"
S3_REGION_ENV: Final = "VIGIL_S3_REGION"
_REGION_FALLBACKS: Final = (S3_REGION_ENV, "AWS_REGION", "AWS_DEFAULT_REGION")
DEFAULT_REGION: Final = "us-east-1"


@dataclass(frozen=True, slots=True)
class S3Settings:
    endpoint_url: str
    bucket_prefix: str = ""
    region: str = DEFAULT_REGION
    # From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; None: boto3's chain (files, role).
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    @property
    def shown_endpoint(self) -> str:
        """The endpoint without any user:password part, for logs and errors."""
        return masked_endpoint(self.endpoint_url)


def masked_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def s3_settings(environ: Mapping[str, str] | None = None) -> S3Settings | None:
    """The S3 settings from the environment; None when `VIGIL_S3_ENDPOINT` is unset or blank."""
    env = os.environ if environ is None else environ
    endpoint = env.get(S3_ENDPOINT_ENV, "").strip()
    if not endpoint:
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "environment",
            [(S3_ENDPOINT_ENV, f"must be an http(s):// URL, got {masked_endpoint(endpoint)!r}")],
        )
    region = next((env[k].strip() for k in _REGION_FALLBACKS if env.get(k, "").strip()), None)
    return S3Settings(
        endpoint_url=endpoint.rstrip("/"),
        bucket_prefix=env.get(S3_BUCKET_PREFIX_ENV, "").strip(),
        region=region or DEFAULT_REGION,
        access_key=env.get("AWS_ACCESS_KEY_ID") or None,
        secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
    )


def lifecycle_tiers(config: StorageConfig) -> dict[str, LifecycleTiers]:
    """The `storage.tiers` of site.yaml as the S3 store takes them."""
    return {
        bucket: LifecycleTiers(
            infrequent_after_days=t.infrequent_after_days,
            archive_after_days=t.archive_after_days,
            expire_after_days=t.expire_after_days,
            infrequent_class=t.infrequent_class,
            archive_class=t.archive_class,
        )
        for bucket, t in config.tiers.items()
    }


def uses_s3(role: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a process running `role` keeps its objects on S3."""
    return role != "edge" and s3_settings(environ) is not None


def object_store_for(
    role: str,
    data_dir: Path,
    *,
    tiers: Mapping[str, LifecycleTiers] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ObjectStore:
    """The object store of a process running `role` (all, edge, hub or a worker role).

    The filesystem store under `data_dir/objects` for the edge and whenever no S3 endpoint is
    set; else the S3 store, its buckets created and their `tiers` set (blocking: call it in a
    thread). Raises StorageError naming the endpoint when the service cannot be reached."""
    settings = None if role == "edge" else s3_settings(environ)
    if settings is None:
        return FsObjectStore(data_dir / "objects")
    # Imported here: boto3 is the `cluster` extra, absent on a one-box or edge install.
    from vigil.storage.s3 import S3ObjectStore

    store = S3ObjectStore(
        settings.endpoint_url,
        bucket_prefix=settings.bucket_prefix,
        region=settings.region,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
    )
    try:
        store.ensure_buckets(tiers)
    except StorageError as err:
        raise StorageError(
            f"S3 object store at {settings.shown_endpoint} ({S3_ENDPOINT_ENV}): {_reason(err)}"
        ) from err
    log.info(
        "objects on S3 at %s (bucket prefix %r)", settings.shown_endpoint, settings.bucket_prefix
    )
    return store


def _reason(err: StorageError) -> str:
    # botocore's own messages can hold the request URL: say what happened in our words.
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    cause = err.__cause__
    if isinstance(cause, NoCredentialsError):
        return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if isinstance(cause, EndpointConnectionError | ConnectTimeoutError):
        return f"cannot connect ({type(cause).__name__})"
    return err.detail
