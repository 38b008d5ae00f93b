"""The hub's view of its edges, shared by API replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
)


class Edge(Base):
    """One edge (site gateway) as its heartbeats show it. `last_seen` is the hub's time of the
    last beat; `offline_alert_key` is set while the edge is OFFLINE (the open edge_offline
    alert) and cleared by its next beat. Every hub replica reads and writes the same row."""

    __tablename__ = "edges"

    edge_id: Mapped[str] = mapped_column(primary_key=True)
    last_seen: Mapped[datetime]
    beat_at: Mapped[datetime]  # the edge's own timestamp of its last beat
    stream_count: Mapped[int]  # streams online
    disk_free_bytes: Mapped[int] = mapped_column(BigInteger)
    mem_usage_percent: Mapped[float]
    queue_depth: Mapped[int | None]  # items in the edge's uplink queue (None: no uplink)
    offline_alert_key: Mapped[str | None]
    offline_since: Mapped[datetime | None]
