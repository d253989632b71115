"""The offsets Kafka holds per partition (the earliest still available, and the end), and
the messages topics hold."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

# The documented confluent_kafka.admin.OffsetSpec, imported where it is defined (the package
# re-exports it without declaring it); its constructors carry no type hints.
from confluent_kafka.admin._listoffsets import OffsetSpec

from lakehouse.kafka.topics import (
    BROKER_HINT,
    BrokerUnavailableError,
    client_config,
    cluster_metadata,
    existing_topics,
)
from lakehouse.streaming.offsets import TopicPartition as Partition


class Watermarks(NamedTuple):
    """Earliest offset Kafka still holds (retention moves it up) and the end offset."""

    earliest: int
    end: int


def partition_watermarks(
    bootstrap_servers: str, topics: Iterable[str], *, timeout_s: float = 15.0
) -> dict[Partition, Watermarks]:
    """Earliest and end offsets of every partition of those topics that exist.

    Two ListOffsets requests for all partitions (Kafka's admin API): the earliest is the
    log start offset, which retention and delete_records move up; the end is the high
    watermark.
    """
    admin = AdminClient(client_config(bootstrap_servers))
    # One metadata request gives both the topics that exist and their partitions;
    # cluster_metadata turns an unreachable broker into an error that says what to do.
    metadata = cluster_metadata(admin, bootstrap_servers, timeout_s)
    wanted = set(topics) & existing_topics(metadata)
    partitions = [
        TopicPartition(name, partition)
        for name in sorted(wanted)
        for partition in sorted(metadata.topics[name].partitions)
    ]
    if not partitions:
        return {}

    def offsets(spec: OffsetSpec) -> dict[Partition, int]:
        futures = admin.list_offsets(
            {partition: spec for partition in partitions}, request_timeout=timeout_s
        )
        found = {}
        for asked, future in futures.items():
            try:
                found[Partition(asked.topic, asked.partition)] = int(future.result().offset)
            except KafkaException as error:
                raise BrokerUnavailableError(
                    f"No offsets for {asked.topic}[{asked.partition}] from {bootstrap_servers} "
                    f"within {timeout_s:g}s ({error.args[0]}). {BROKER_HINT}"
                ) from error
        return found

    earliest = offsets(OffsetSpec.earliest())  # type: ignore[no-untyped-call]
    end = offsets(OffsetSpec.latest())  # type: ignore[no-untyped-call]
    return {partition: Watermarks(earliest[partition], end[partition]) for partition in earliest}


def topic_end_offsets(
    bootstrap_servers: str, topics: Iterable[str], *, timeout_s: float = 10.0
) -> dict[str, dict[int, int]]:
    """High watermark of every partition of each topic; a topic that does not exist has none."""
    ends: dict[str, dict[int, int]] = {name: {} for name in dict.fromkeys(topics)}
    found = partition_watermarks(bootstrap_servers, ends, timeout_s=timeout_s)
    for partition, watermarks in found.items():
        ends[partition.topic][partition.partition] = watermarks.end
    return ends


def count_messages(
    bootstrap_servers: str, topics: Iterable[str], *, timeout_s: float = 10.0
) -> int:
    """Messages ever written to the topics (offsets start at 0 and we write no transactions)."""
    end_offsets = topic_end_offsets(bootstrap_servers, topics, timeout_s=timeout_s)
    return sum(sum(partitions.values()) for partitions in end_offsets.values())
