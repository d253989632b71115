"""The offsets Kafka holds per partition: the earliest still available, and the end."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from confluent_kafka import Consumer, TopicPartition

from lakehouse.kafka.topics import (
    BROKER_HINT,
    BrokerUnavailableError,
    cluster_topics,
    kafka_logger,
)
from lakehouse.streaming.offsets import TopicPartition as Partition


class Watermarks(NamedTuple):
    """Earliest offset Kafka still holds (retention moves it up) and the end offset."""

    earliest: int
    end: int


def partition_watermarks(
    bootstrap_servers: str, topics: Iterable[str], *, timeout_s: float = 15.0
) -> dict[Partition, Watermarks]:
    """Earliest and end offsets of every partition of those topics that exist."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "logger": kafka_logger(),
        # Never joins the group: only asks for watermarks.
        "group.id": "lakehouse-offsets",
        "enable.auto.commit": False,
    }
    consumer = Consumer(config)
    try:
        # cluster_topics turns an unreachable broker into an error that says what to do.
        wanted = set(topics) & cluster_topics(consumer, bootstrap_servers, timeout_s)
        metadata = consumer.list_topics(timeout=timeout_s)
        watermarks: dict[Partition, Watermarks] = {}
        for name in sorted(wanted):
            for partition in sorted(metadata.topics[name].partitions):
                # cached=False asks the broker: the low watermark is the log start offset,
                # which retention and delete_records move up.
                found = consumer.get_watermark_offsets(
                    TopicPartition(name, partition), timeout=timeout_s, cached=False
                )
                if found is None:
                    raise BrokerUnavailableError(
                        f"No offsets for {name}[{partition}] from {bootstrap_servers} within "
                        f"{timeout_s:g}s. {BROKER_HINT}"
                    )
                watermarks[Partition(name, partition)] = Watermarks(int(found[0]), int(found[1]))
        return watermarks
    finally:
        consumer.close()
