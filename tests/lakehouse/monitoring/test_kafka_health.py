"""Consumer lag and retention headroom against the real test broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lakehouse import pipeline
from lakehouse.kafka.topics import BrokerUnavailableError
from lakehouse.monitoring import kafka_health
from lakehouse.settings import Settings
from lakehouse.streaming.offsets import TopicPartition

EVENTS = 300


@pytest.mark.integration
def test_unread_events_are_lag_and_expire_after_the_topic_retention(stack: Settings) -> None:
    at = datetime.now(UTC)
    pipeline.produce(stack, events=EVENTS, rate=None, seed=3, end=at - timedelta(minutes=1))
    # Nothing ingested yet: every record is unread, from offset 0 of each partition.
    lags = kafka_health.partition_lags(stack)
    assert sum(lag.lag for lag in lags) == EVENTS
    assert {lag.next_offset for lag in lags} == {0}

    lag = kafka_health.consumer_lag(stack, lags)
    assert lag.passed
    assert lag.value == max(
        sum(item.lag for item in lags if item.partition.topic == topic)
        for topic in stack.kafka.topics.values()
    )
    tight = kafka_health.consumer_lag(
        stack.model_copy(
            update={"quality": stack.quality.model_copy(update={"max_consumer_lag": 10})}
        ),
        lags,
    )
    assert not tight.passed

    # The broker keeps records 7 days (Kafka's default): just produced, ~168 hours remain.
    headroom = kafka_health.retention_headroom(stack, lags, at)
    assert headroom.passed
    assert headroom.value is not None and 167 < headroom.value <= 168.1
    week_later = kafka_health.retention_headroom(stack, lags, at + timedelta(days=6, hours=12))
    assert not week_later.passed
    assert week_later.value is not None and 11 < week_later.value < 13


@pytest.mark.integration
def test_a_record_the_broker_cannot_give_fails_the_headroom_check(stack: Settings) -> None:
    at = datetime.now(UTC)
    pipeline.produce(stack, events=3, rate=None, seed=3, end=at - timedelta(minutes=1))
    topic = stack.kafka.topics["plays"]
    # The checkpoint claims unread records where the partition holds none.
    beyond = kafka_health.PartitionLag(TopicPartition(topic, 0), 1_000, 1_005)

    with pytest.raises(BrokerUnavailableError) as raised:
        kafka_health.retention_headroom(stack, [beyond], at)

    assert f"{topic}[0] at offset 1000" in str(raised.value)
