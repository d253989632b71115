"""Send simulated events to Kafka: paced, keyed by user, every delivery accounted for."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from typing import Any, Final

from confluent_kafka import KafkaError, Message, Producer
from rich.console import Console

from lakehouse.kafka.topics import (
    BROKER_HINT,
    SimulatorKafkaError,
    cluster_topics,
    kafka_logger,
)
from lakehouse.simulator.events import DEFAULT_TOPICS, EVENT_TYPES, ListeningEvent
from lakehouse.simulator.progress import ProgressDisplay

_LOGGER: Final = logging.getLogger(__name__)
# Serving delivery callbacks every few hundred events keeps the queue short at little cost.
_POLL_EVERY: Final = 256


class DeliveryError(SimulatorKafkaError):
    """Some events were not delivered; `report` says how many were."""

    def __init__(self, message: str, report: ProduceReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class ProduceReport:
    """What reached the broker."""

    delivered_by_topic: Mapping[str, int]
    failed_by_topic: Mapping[str, int]
    elapsed_seconds: float

    @property
    def total_delivered(self) -> int:
        """Events the broker acknowledged."""
        return sum(self.delivered_by_topic.values())

    @property
    def total_failed(self) -> int:
        """Events the broker did not acknowledge."""
        return sum(self.failed_by_topic.values())

    @property
    def events_per_second(self) -> float:
        """Delivered events per second of wall-clock time."""
        return self.total_delivered / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


def producer_config(
    bootstrap_servers: str, extra_config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The producer settings: idempotent, fully acknowledged, batched and compressed."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "client.id": "lakehouse-simulator",
        # Idempotence makes retries safe: no duplicates, per-partition order kept.
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 25,
        "compression.type": "lz4",
        # Fail within a minute rather than librdkafka's five when the broker is gone.
        "message.timeout.ms": 60_000,
        "logger": kafka_logger(),
        **(extra_config or {}),
    }


def produce_events(
    events: Iterable[ListeningEvent],
    *,
    bootstrap_servers: str,
    topics: Mapping[str, str] = DEFAULT_TOPICS,
    rate: float | None = None,
    progress: bool = False,
    total: int | None = None,
    extra_config: Mapping[str, Any] | None = None,
    flush_timeout_s: float = 60.0,
    connect_timeout_s: float = 10.0,
    console: Console | None = None,
) -> ProduceReport:
    """Send events keyed by user id, at most `rate` per second; raise unless all arrived."""
    missing_types = [event_type for event_type in EVENT_TYPES if event_type not in topics]
    if missing_types:
        raise ValueError(f"topics has no entry for event types {missing_types}")
    if rate is not None and not rate > 0:
        raise ValueError(f"rate must be positive (or None for no limit), got {rate}")
    tracker = _DeliveryTracker()
    producer = Producer(
        {
            **producer_config(bootstrap_servers, extra_config),
            "on_delivery": tracker.on_delivery,
            "error_cb": tracker.on_error,
        }
    )
    existing = cluster_topics(producer, bootstrap_servers, connect_timeout_s)
    absent = sorted(set(topics.values()) - existing)
    if absent:
        raise SimulatorKafkaError(
            f"Topics {absent} do not exist on the broker at {bootstrap_servers}. "
            "Create them first (ensure_topics, or `lakehouse up`)."
        )
    if total is None and isinstance(events, Sized):
        total = len(events)
    pacer = _TokenBucket(rate) if rate is not None else None
    started = time.monotonic()
    sent = 0
    with ProgressDisplay(progress, total, console, tracker.delivered_count) as display:
        try:
            for event in events:
                if pacer is not None:
                    pacer.take(producer)
                if not _produce(producer, topics[event.event_type], event, tracker):
                    break
                sent += 1
                if sent % _POLL_EVERY == 0 or pacer is not None:
                    producer.poll(0)
                    display.show(sent)
                    if tracker.should_stop:
                        break
        finally:
            undelivered = producer.flush(flush_timeout_s)
            display.show(sent, force=True)
    report = tracker.report(time.monotonic() - started)
    _raise_unless_complete(
        report,
        tracker,
        undelivered=undelivered,
        sent=sent,
        bootstrap_servers=bootstrap_servers,
        flush_timeout_s=flush_timeout_s,
    )
    return report


def _produce(
    producer: Producer, topic: str, event: ListeningEvent, tracker: _DeliveryTracker
) -> bool:
    value = event.to_json()
    key = event.key
    while True:
        try:
            producer.produce(topic, value, key)
            return True
        except BufferError:
            # The local queue is full: serve deliveries to make room, unless they are failing.
            producer.poll(0.1)
            if tracker.should_stop:
                return False


def _raise_unless_complete(
    report: ProduceReport,
    tracker: _DeliveryTracker,
    *,
    undelivered: int,
    sent: int,
    bootstrap_servers: str,
    flush_timeout_s: float,
) -> None:
    if tracker.fatal_error is not None:
        raise DeliveryError(
            f"The producer stopped on a fatal error from {bootstrap_servers}: "
            f"{tracker.fatal_error}. {report.total_delivered} of {sent} events were delivered.",
            report,
        )
    if report.total_failed or undelivered:
        cause = (
            f"first error: {tracker.first_error}"
            if tracker.first_error
            else f"{undelivered} were still queued after waiting {flush_timeout_s:g}s"
        )
        message = (
            f"Only {report.total_delivered} of {sent} events reached the Kafka broker at "
            f"{bootstrap_servers} ({cause})."
        )
        hint = f" {BROKER_HINT}" if tracker.broker_unreachable else ""
        raise DeliveryError(f"{message}{hint}", report)


class _DeliveryTracker:
    """Counts delivery reports per topic and remembers the first and the fatal errors."""

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.first_error: str | None = None
        self.fatal_error: str | None = None
        self.broker_unreachable = False

    @property
    def should_stop(self) -> bool:
        return self.fatal_error is not None or bool(self.failed)

    def delivered_count(self) -> int:
        """Events Kafka acknowledged so far, every topic together."""
        return sum(self.delivered.values())

    def on_delivery(self, error: KafkaError | None, message: Message) -> None:
        topic = message.topic() or "?"
        if error is None:
            self.delivered[topic] += 1
            return
        self.failed[topic] += 1
        if self.first_error is None:
            self.first_error = error.str()
        if error.code() in (KafkaError._MSG_TIMED_OUT, KafkaError._TRANSPORT):
            self.broker_unreachable = True

    def on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self.fatal_error = error.str()
        if error.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self.broker_unreachable = True
        _LOGGER.warning("Kafka producer error: %s", error.str())

    def report(self, elapsed_seconds: float) -> ProduceReport:
        return ProduceReport(dict(self.delivered), dict(self.failed), elapsed_seconds)


class _TokenBucket:
    """Paces to `rate` events per second, allowing bursts of about 50 ms worth."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * 0.05)
        self.tokens = 1.0
        self.clock = clock
        self.updated = clock()

    def take(self, producer: Producer) -> None:
        while True:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            # Waiting inside poll keeps delivery callbacks flowing; at least 1 ms so that fast
            # rates send small bursts instead of spinning.
            producer.poll(max((1 - self.tokens) / self.rate, 0.001))
