"""Which bus a process uses: Kafka when `VIGIL_KAFKA_BOOTSTRAP` is set, else the in-process bus.

On Kafka, the client id is `vigil-<site id>-<role>` and every consumer group id is prefixed
with `<site id>.`: the analytics workers of one site share the group `<site id>.analytics`
(its partitions are spread over them), and another deployment on the same broker never takes
their messages. The reference topics and their dead letters are created at start.
"""

from __future__ import annotations

import asyncio
import os
from typing import Final

from vigil.bus import topics
from vigil.bus.base import Bus
from vigil.bus.memory import MemoryBus
from vigil.clock import Clock

BOOTSTRAP_ENV: Final = "VIGIL_KAFKA_BOOTSTRAP"

REFERENCE_TOPICS: Final = (
    topics.FRAMES,
    topics.DETECTIONS,
    topics.ALERTS,
    topics.ALERT_REQUESTS,
    topics.SEGMENTS,
    topics.CAMERA_STATUS,
    topics.METRICS,
    topics.CONFIG_CHANGES,
)


def kafka_bootstrap() -> str | None:
    """`host:port[,host:port…]` from the environment; None when unset or blank."""
    return os.environ.get(BOOTSTRAP_ENV, "").strip() or None


def bus_for(site_id: str, role: str, clock: Clock) -> Bus:
    """The bus of a process of `site_id` running `role` (all, edge, hub or a worker role)."""
    bootstrap = kafka_bootstrap()
    if bootstrap is None:
        return MemoryBus(clock)
    # Imported here: confluent-kafka is the `cluster` extra, absent on a one-box or edge install.
    from vigil.bus.kafka import KafkaBus

    return KafkaBus(
        bootstrap, clock=clock, client_id=f"vigil-{site_id}-{role}", group_prefix=f"{site_id}."
    )


async def prepare(bus: Bus) -> None:
    """Create the reference topics (and their `.dlq`) on a Kafka bus; nothing on the others."""
    if isinstance(bus, MemoryBus):
        return
    from vigil.bus.kafka import KafkaBus, partitions_of

    if isinstance(bus, KafkaBus):
        wanted = {t: partitions_of(t) for t in REFERENCE_TOPICS}
        wanted.update({topics.dead_letter(t): 1 for t in REFERENCE_TOPICS})
        await asyncio.to_thread(bus.ensure_topics, wanted)
