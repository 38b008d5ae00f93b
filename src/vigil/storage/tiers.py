"""Lifecycle tiers of a bucket (hot -> infrequent access -> archive -> expiry), as site.yaml's
`storage.tiers` gives them and S3 lifecycle rules express them. Kept apart from the S3 store so
that reading the config never imports boto3 (the `cluster` extra)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LifecycleTiers:
    """Days after which a bucket's objects move to infrequent access, to archive, and are
    deleted; None skips that step. Storage class names are the service's (AWS defaults)."""

    infrequent_after_days: int | None = None
    archive_after_days: int | None = None
    expire_after_days: int | None = None
    infrequent_class: str = "STANDARD_IA"
    archive_class: str = "GLACIER"

    def rule(self) -> dict[str, Any] | None:
        """The S3 lifecycle rule, or None when there is nothing to do."""
        rule: dict[str, Any] = {"ID": "vigil-tiers", "Status": "Enabled", "Filter": {}}
        transitions = [
            {"Days": days, "StorageClass": cls}
            for days, cls in (
                (self.infrequent_after_days, self.infrequent_class),
                (self.archive_after_days, self.archive_class),
            )
            if days is not None
        ]
        if transitions:
            rule["Transitions"] = transitions
        if self.expire_after_days is not None:
            rule["Expiration"] = {"Days": self.expire_after_days}
        return rule if transitions or self.expire_after_days is not None else None
