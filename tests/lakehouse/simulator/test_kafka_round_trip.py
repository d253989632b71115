"""Produce simulated events to a real broker, read them back, and reconcile the counts."""

import json
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from lakehouse.kafka.topics import ensure_topics
from lakehouse.kafka.watermarks import count_messages, topic_end_offsets
from lakehouse.simulator import ListeningEvent, build_catalog, generate_events, produce_events

pytestmark = pytest.mark.integration

EVENT_COUNT = 2_000
PARTITIONS = 3


def consume_all(bootstrap: str, topics: list[str], expected: int) -> list[Message]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"simulator-test-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    # Assigning partitions directly skips the group rebalance and reads from the start.
    consumer.assign(
        [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in range(PARTITIONS)]
    )
    received: list[Message] = []
    deadline = time.monotonic() + 60
    try:
        while len(received) < expected and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=1):
                assert message.error() is None, message.error()
                received.append(message)
        # Anything beyond `expected` would be a duplicate: give it a moment to show up.
        received.extend(consumer.consume(num_messages=500, timeout=1))
    finally:
        consumer.close()
    return received


def test_produced_events_come_back_keyed_and_reconciled(kafka_bootstrap: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    topics = {kind: f"simulator-test-{kind}s-{suffix}" for kind in ("play", "skip", "like")}
    ensure_topics(kafka_bootstrap, topics.values(), partitions=PARTITIONS)
    ensure_topics(kafka_bootstrap, topics.values(), partitions=PARTITIONS)
    catalog = build_catalog(7, users=300, artists=40, tracks=800)
    end = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    events = list(generate_events(catalog, count=EVENT_COUNT, seed=2024, end=end))
    expected_per_topic = Counter(topics[e.event_type] for e in events)

    report = produce_events(
        events, bootstrap_servers=kafka_bootstrap, topics=topics, rate=None, progress=False
    )

    assert report.total_delivered == EVENT_COUNT
    assert report.failed_by_topic == {}
    assert report.delivered_by_topic == dict(expected_per_topic)

    messages = consume_all(kafka_bootstrap, list(topics.values()), EVENT_COUNT)
    assert len(messages) == EVENT_COUNT
    assert Counter(m.topic() for m in messages) == expected_per_topic
    received = [ListeningEvent.from_json(m.value() or b"") for m in messages]
    assert sorted(received) == sorted(events)
    for message, event in zip(messages, received, strict=True):
        assert message.key() == event.user_id.encode()
        assert message.topic() == topics[event.event_type]
        assert json.loads(message.value() or b"")["schema_version"] == 1

    # Keyed by user on an idempotent producer: each user's events keep their order.
    per_user_partition: dict[tuple[str | None, int | None, bytes | None], list[str]] = defaultdict(
        list
    )
    for message, event in zip(messages, received, strict=True):
        per_user_partition[(message.topic(), message.partition(), message.key())].append(
            event.event_at
        )
    assert all(times == sorted(times) for times in per_user_partition.values())

    end_offsets = topic_end_offsets(kafka_bootstrap, topics.values())
    assert set(end_offsets) == set(topics.values())
    assert all(len(partitions) == PARTITIONS for partitions in end_offsets.values())
    assert {t: sum(p.values()) for t, p in end_offsets.items()} == dict(expected_per_topic)
    assert count_messages(kafka_bootstrap, topics.values()) == EVENT_COUNT
