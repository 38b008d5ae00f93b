"""The `storage:` section: lifecycle tiers of the object-store buckets (cluster)."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from vigil.config.base import (
    Base,
)

BucketName = Literal["video-segments", "snapshots", "clips", "training-data", "persons"]


class TierConfig(Base):
    """When one bucket's objects move to cheaper storage and when they are deleted (S3
    lifecycle rules, applied by the service itself; unused on the local disk)."""

    infrequent_after_days: int | None = Field(
        None, ge=1, description="Days after which objects move to infrequent access."
    )
    archive_after_days: int | None = Field(
        None, ge=1, description="Days after which objects move to archive storage."
    )
    expire_after_days: int | None = Field(
        None, ge=1, description="Days after which objects are deleted."
    )
    infrequent_class: str = Field(
        "STANDARD_IA", min_length=1, description="The service's infrequent-access class."
    )
    archive_class: str = Field("GLACIER", min_length=1, description="The service's archive class.")

    @model_validator(mode="after")
    def _in_order(self) -> TierConfig:
        steps = [
            (name, days)
            for name, days in (
                ("infrequent_after_days", self.infrequent_after_days),
                ("archive_after_days", self.archive_after_days),
                ("expire_after_days", self.expire_after_days),
            )
            if days is not None
        ]
        for (a, a_days), (b, b_days) in itertools.pairwise(steps):
            if b_days <= a_days:
                raise ValueError(f"{b} ({b_days}) must be more than {a} ({a_days})")
        return self


class StorageConfig(Base):
    """Object storage of the hub, the workers and `vigil up` when VIGIL_S3_ENDPOINT is set."""

    tiers: dict[BucketName, TierConfig] = Field(
        default_factory=dict,
        description="Lifecycle tiers per bucket, e.g. video-segments: {archive_after_days: "
        "30, expire_after_days: 365}. Set on the S3 buckets at start.",
    )
