"""The cluster bus: Kafka through confluent-kafka.

Values are encoded by `vigil.bus.codec` (type tag in the `vigil-type` header); keys are camera
ids, so one camera's messages stay in order in one partition. The producer is idempotent with
acks=all. Each subscription is one consumer of its group, polled in its own thread (the event
loop never blocks on librdkafka) into a local buffer; offsets are committed only when the
consumer calls `commit` (after its database write), from the polling thread. A message that
fails `MAX_ATTEMPTS` times is copied, bytes and headers untouched, to `<topic>.dlq`.

`commit(message)` commits its partition up to and including the message: consumers that take
several messages at once must commit in order (the highest offset wins; it never moves back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka import (
    Message as KafkaMessage,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # NewTopic is public API; the stubs miss it
    AdminClient,
    NewTopic,
)

from vigil.bus import codec, topics
from vigil.bus.base import MAX_ATTEMPTS, Message
from vigil.bus.topics import dead_letter
from vigil.clock import Clock, SystemClock
from vigil.errors import VigilError
from vigil.ops.health import ComponentHealth

log = logging.getLogger(__name__)

POLL_INTERVAL_S: Final = 0.2
QUEUE_FULL_WAIT_S: Final = 5.0  # off the event loop: longest wait for room in the queue
REASON_HEADER: Final = "vigil-dlq-reason"
# Received-but-uncommitted payloads kept for dead-lettering byte for byte (else re-encoded).
_MAX_RAW: Final = 1024
Headers = list[tuple[str, bytes]]

# Partitions of the reference topics (more partitions, more consumers of a group at work).
REFERENCE_PARTITIONS: Final = {
    topics.FRAMES: 8,
    topics.DETECTIONS: 16,
    topics.ALERTS: 4,
    topics.ALERT_REQUESTS: 4,
    topics.SEGMENTS: 8,
    topics.CAMERA_STATUS: 4,
}


def partitions_of(topic: str) -> int:
    """Partitions a topic is created with when Vigil creates it (dead letters: 1)."""
    return REFERENCE_PARTITIONS.get(topic, 1)


class BusError(VigilError):
    """The message bus (Kafka) refused an operation or cannot be reached."""

    status_code = 503


class KafkaSubscription:
    """One consumer of `group` on `topic`."""

    def __init__(
        self,
        bus: KafkaBus,
        topic: str,
        group: str,
        config: dict[str, Any],
        max_pending: int | None,
        on_drop: Callable[[Message], None] | None,
    ) -> None:
        self.topic = topic
        self.group = group
        self._bus = bus
        self._config = config
        self._max_pending = max_pending
        self._on_drop = on_drop
        self._pending: deque[Message] = deque()
        self._raw: dict[tuple[int, int], tuple[bytes, Headers]] = {}
        self._attempts: dict[tuple[int, int], int] = {}
        self._to_commit: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._dropped = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._poll_loop, name=f"kafka-{topic}-{group}", daemon=True
        )
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def pending(self) -> int:
        return len(self._pending)

    # -- polling thread ------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        # A consumer does not notice a topic created after it subscribed for minutes (metadata
        # refresh): make sure the topic exists first.
        try:
            self._bus.ensure_topics({self.topic: partitions_of(self.topic)})
        except BusError as err:
            log.error("consumer of %s in group %s: %s", self.topic, self.group, err.detail)
        consumer = Consumer(self._config)
        try:
            consumer.subscribe(
                [self.topic],
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )
            while not self._closed.is_set():
                self._flush_commits(consumer, asynchronous=True)
                raw = consumer.poll(POLL_INTERVAL_S)
                if raw is not None:
                    self._receive(raw)
        except KafkaException:
            log.exception("consumer of %s in group %s stopped", self.topic, self.group)
        finally:
            with contextlib.suppress(KafkaException):
                self._flush_commits(consumer, asynchronous=False)
            consumer.close()
            self._wake()

    def _receive(self, raw: KafkaMessage) -> None:
        error = raw.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer of %s in group %s: %s", self.topic, self.group, error)
            return
        partition, offset = raw.partition() or 0, raw.offset() or 0
        key = (raw.key() or b"").decode("utf-8", "replace")
        data = raw.value() or b""
        headers: Headers = [(k, _as_bytes(v)) for k, v in _header_items(raw)]
        _, ts_ms = raw.timestamp()
        published = datetime.fromtimestamp(ts_ms / 1000, UTC)
        tag = next((v.decode() for k, v in headers if k == codec.TYPE_HEADER), "bytes")
        try:
            value = codec.decode(tag, data)
        except codec.CodecError as err:  # a poison message: straight to the dead letters
            log.warning("%s offset %d: %s; dead-lettered", self.topic, offset, err.detail)
            self._bus.publish_raw(
                dead_letter(self.topic), key, data, [*headers, (REASON_HEADER, err.detail.encode())]
            )
            self._request_commit(partition, offset)
            return
        message = Message(self.topic, key, value, published, offset, partition)
        dropped: Message | None = None
        with self._lock:
            if self._max_pending is not None and len(self._pending) >= self._max_pending:
                dropped = self._pending.popleft()
                self._raw.pop((dropped.partition, dropped.offset), None)
                self._dropped += 1
            self._pending.append(message)
            self._raw[(partition, offset)] = (data, headers)
            if len(self._raw) > _MAX_RAW:  # a consumer that never commits: forget the oldest
                del self._raw[next(iter(self._raw))]
        if dropped is not None and self._on_drop is not None:
            self._on_drop(dropped)
        self._wake()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info(
            "consumer of %s in group %s took partitions %s",
            self.topic, self.group, sorted(tp.partition for tp in partitions),
        )  # fmt: skip

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions move to another consumer: commit what is done, forget the rest (the new
        owner gets it again from the committed offset)."""
        log.info(
            "consumer of %s in group %s gave up partitions %s",
            self.topic, self.group, sorted(tp.partition for tp in partitions),
        )  # fmt: skip
        self._flush_commits(consumer, asynchronous=False)
        gone = {tp.partition for tp in partitions}
        with self._lock:
            self._pending = deque(m for m in self._pending if m.partition not in gone)
            for key in [k for k in self._raw if k[0] in gone]:
                del self._raw[key]
            for partition in gone:
                self._committed.pop(partition, None)

    def _flush_commits(self, consumer: Consumer, *, asynchronous: bool) -> None:
        with self._lock:
            offsets = [TopicPartition(self.topic, p, o) for p, o in self._to_commit.items()]
            self._to_commit.clear()
        if offsets:
            try:
                if asynchronous:
                    consumer.commit(offsets=offsets, asynchronous=True)
                else:
                    consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as err:  # e.g. the partition moved: its new owner redelivers
                log.warning("commit on %s for group %s failed: %s", self.topic, self.group, err)

    # -- consumer side (event loop) ------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening any more
            self._loop.call_soon_threadsafe(self._ready.set)

    async def get(self, timeout_s: float | None = None) -> Message | None:
        while True:
            with self._lock:
                if self._closed.is_set():
                    return None
                if self._pending:
                    return self._pending.popleft()
                self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout_s)
            except TimeoutError:
                return None

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            message = await self.get()
            if message is None:
                return
            yield message

    def _request_commit(self, partition: int, offset: int) -> None:
        with self._lock:
            if offset + 1 > self._committed.get(partition, -1):
                self._committed[partition] = offset + 1
                self._to_commit[partition] = offset + 1

    def commit(self, message: Message) -> None:
        with self._lock:
            self._raw.pop((message.partition, message.offset), None)
            self._attempts.pop((message.partition, message.offset), None)
        self._request_commit(message.partition, message.offset)

    def fail(self, message: Message, reason: str) -> None:
        where = (message.partition, message.offset)
        with self._lock:
            attempts = self._attempts[where] = self._attempts.get(where, 0) + 1
            if attempts < MAX_ATTEMPTS:
                self._pending.appendleft(message)
                raw = None
            else:
                raw = self._raw.get(where)
        if attempts < MAX_ATTEMPTS:
            self._wake()
            return
        log.warning(
            "%s partition %d offset %d (key %s) failed %d times, dead-lettered: %s",
            self.topic, *where, message.key, attempts, reason,
        )  # fmt: skip
        if raw is None:  # re-encode (the raw bytes left with a revoked partition)
            tag, data = codec.encode(message.value)
            raw = (data, [(codec.TYPE_HEADER, tag.encode())])
        data, headers = raw
        self._bus.publish_raw(
            dead_letter(self.topic), message.key, data, [*headers, (REASON_HEADER, reason.encode())]
        )
        self.commit(message)

    def close(self) -> None:
        """Leave the group; what was taken but not committed is delivered to the group again."""
        self._closed.set()
        self._wake()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)


class KafkaBus:
    """Kafka (or any Kafka-protocol broker) as the bus. `config` adds librdkafka settings
    (security, TLS) to producers and consumers alike. `group_prefix` is put before every
    consumer group id, so that deployments sharing a broker never share a group."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        clock: Clock | None = None,
        client_id: str = "vigil",
        config: Mapping[str, Any] | None = None,
        session_timeout_ms: int = 6000,
        auto_offset_reset: str = "earliest",
        group_prefix: str = "",
    ) -> None:
        self._clock = clock or SystemClock()
        self.group_prefix = group_prefix
        self._common: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "client.id": client_id,
            **(config or {}),
        }
        self._consumer_extra: dict[str, Any] = {
            "enable.auto.commit": False,
            "auto.offset.reset": auto_offset_reset,
            "session.timeout.ms": session_timeout_ms,
            "heartbeat.interval.ms": max(100, session_timeout_ms // 6),
            # Also the longest a rebalance waits for a member to rejoin (librdkafka's default
            # is 5 minutes, during which the whole group consumes nothing). Each consumer's
            # own thread polls every POLL_INTERVAL_S whatever the handler does, so a member
            # that has not polled for 30 s is stuck and better left behind.
            "max.poll.interval.ms": max(30_000, session_timeout_ms),
        }
        self._producer: Producer | None = None
        self._producer_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._subs: list[KafkaSubscription] = []
        self.delivery_failures = 0
        self.queue_full_refusals = 0  # messages refused because the producer's queue was full

    async def start(self) -> None:
        self._producer = Producer(
            {**self._common, "enable.idempotence": True, "acks": "all", "linger.ms": 5}
        )
        self._stopping.clear()
        self._producer_thread = threading.Thread(
            target=self._serve_producer, name="kafka-producer", daemon=True
        )
        self._producer_thread.start()

    def _serve_producer(self) -> None:
        assert self._producer is not None
        while not self._stopping.is_set():
            self._producer.poll(POLL_INTERVAL_S)  # runs delivery callbacks

    async def stop(self) -> None:
        subs, self._subs = self._subs, []
        for sub in subs:
            sub.close()
        for sub in subs:
            await asyncio.to_thread(sub.join, 30)
        if self._producer is not None:
            left = await asyncio.to_thread(self._producer.flush, 30)
            if left:
                log.error("%d bus messages were not delivered before shutdown", left)
            self._stopping.set()
            if self._producer_thread is not None:
                await asyncio.to_thread(self._producer_thread.join, 5)
            self._producer = None

    def ensure_topics(self, partitions: Mapping[str, int], timeout_s: float = 30) -> None:
        """Create missing topics with their partition counts (existing ones are left alone)."""
        admin = AdminClient(self._common)
        futures = admin.create_topics(
            [NewTopic(name, n) for name, n in partitions.items()], request_timeout=timeout_s
        )
        for name, future in futures.items():
            try:
                future.result(timeout_s)
            except KafkaException as err:
                if err.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise BusError(f"cannot create topic {name!r}: {err.args[0].str()}") from err

    def subscribe(
        self,
        topic: str,
        group: str,
        *,
        max_pending: int | None = None,
        on_drop: Callable[[Message], None] | None = None,
    ) -> KafkaSubscription:
        config = {**self._common, **self._consumer_extra, "group.id": self.group_prefix + group}
        sub = KafkaSubscription(self, topic, group, config, max_pending, on_drop)
        self._subs.append(sub)
        return sub

    def publish(self, topic: str, key: str, value: Any) -> None:
        tag, data = codec.encode(value)
        self.publish_raw(topic, key, data, [(codec.TYPE_HEADER, tag.encode())])

    def publish_raw(self, topic: str, key: str, data: bytes, headers: Headers) -> None:
        """Hand the message to the producer's local queue (delivery happens in the producer
        thread). When that queue is full (the broker has not taken messages for a while),
        a caller on the event loop gets BusError at once, and any other thread waits up to
        `QUEUE_FULL_WAIT_S` for room first: publishing never blocks the loop."""
        if self._producer is None:
            raise BusError("the Kafka bus is not started")
        wire: list[tuple[str, str | bytes | None]] = [(k, v) for k, v in headers]
        wait_s = 0.0 if _on_event_loop() else QUEUE_FULL_WAIT_S
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self._producer.produce(
                    topic,
                    value=data,
                    key=key.encode(),
                    headers=wire,
                    on_delivery=self._delivered,
                )
                return
            except BufferError as err:
                # The producer thread polls, so room comes back as the broker acknowledges.
                if time.monotonic() >= deadline:
                    self.queue_full_refusals += 1
                    raise BusError(
                        f"cannot publish to {topic}: the producer's queue is full (the broker "
                        f"has not taken messages{f' for {wait_s:g} s' if wait_s else ''})"
                    ) from err
                self._stopping.wait(0.05)

    def health(self, timeout_s: float = 1.5) -> ComponentHealth:
        """Down unless the broker answers a metadata request within `timeout_s` (blocks:
        the health registry runs it in a thread)."""
        if self._producer is None:
            return ComponentHealth("down", "the Kafka bus is not started")
        try:
            self._producer.list_topics(timeout=timeout_s)
        except KafkaException as err:
            return ComponentHealth("down", f"Kafka broker unreachable: {err.args[0].str()}")
        if self.queue_full_refusals:
            return ComponentHealth(
                "degraded", f"{self.queue_full_refusals} messages refused: producer queue full"
            )
        return ComponentHealth("ok")

    def flush(self, timeout_s: float = 30) -> int:
        """Wait for every published message to be acknowledged; returns how many are left."""
        if self._producer is None:
            return 0
        return int(self._producer.flush(timeout_s))

    def _delivered(self, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None:
            self.delivery_failures += 1
            log.error("bus message to %s was not delivered: %s", msg.topic(), err.str())


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _header_items(raw: KafkaMessage) -> list[tuple[str, str | bytes | None]]:
    headers = raw.headers()
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


def _as_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value
