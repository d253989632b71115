"""Consumer lag of the bronze job and Kafka retention headroom: how long unread data lives.

Lag is what Kafka holds beyond the bronze checkpoint's committed offsets. Headroom is the
time until the oldest unread record is old enough for retention to delete it: when it runs
out, data is lost before the job reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer, KafkaException
from confluent_kafka import TopicPartition as KafkaPartition
from confluent_kafka.admin import AdminClient

# From its own module: confluent_kafka.admin re-exports it without __all__ (strict mypy).
from confluent_kafka.admin._config import ConfigResource

from lakehouse.kafka.topics import BrokerUnavailableError, kafka_logger
from lakehouse.kafka.watermarks import partition_watermarks
from lakehouse.monitoring.findings import Finding, measured
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import checkpoint_files, progress_checkpoints
from lakehouse.streaming.offsets import TopicPartition, next_to_read, read_checkpoint

TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class PartitionLag:
    """One partition: the next offset the job reads, Kafka's end, and the records between."""

    partition: TopicPartition
    next_offset: int
    end_offset: int

    @property
    def lag(self) -> int:
        """Records Kafka holds that the job has not read."""
        return max(0, self.end_offset - self.next_offset)


def partition_lags(settings: Settings) -> list[PartitionLag]:
    """Lag of the bronze job on every partition of the event topics."""
    files = checkpoint_files(settings)
    progresses = [
        read_checkpoint(files, location) for location in progress_checkpoints(settings, files)
    ]
    watermarks = partition_watermarks(settings.kafka_bootstrap, settings.kafka.topics.values())
    lags = []
    for partition, marks in sorted(watermarks.items()):
        starts = [
            next_to_read(progress, partition, settings.ingest.starting_offsets)
            for progress in progresses
        ]
        # Before an upgrade's first run, the old sink furthest behind decides.
        start = None if None in starts else min(starts)  # type: ignore[type-var]
        # A sink that starts at latest has read nothing yet, and will skip what is there.
        next_offset = marks.end if start is None else max(start, marks.earliest)
        lags.append(PartitionLag(partition, next_offset, marks.end))
    return lags


def consumer_lag(settings: Settings, lags: list[PartitionLag]) -> Finding:
    """The largest per-topic lag against quality.max_consumer_lag."""
    per_topic: dict[str, int] = {}
    for lag in lags:
        per_topic[lag.partition.topic] = per_topic.get(lag.partition.topic, 0) + lag.lag
    worst = max(per_topic.values(), default=0)
    limit = settings.quality.max_consumer_lag
    detail = ", ".join(f"{topic} {count}" for topic, count in sorted(per_topic.items()))
    return measured(
        "consumer_lag", worst, limit, worst <= limit, f"unread records per topic: {detail}"
    )


def retention_ms(settings: Settings, topics: list[str]) -> dict[str, int]:
    """Each topic's retention.ms as the broker reports it (-1: kept forever)."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "logger": kafka_logger(),
    }
    admin = AdminClient(config)
    resources = [ConfigResource(ConfigResource.Type.TOPIC, topic) for topic in topics]
    found = {}
    for resource, future in admin.describe_configs(resources).items():
        entries = future.result(timeout=TIMEOUT_SECONDS)
        found[resource.name] = int(entries["retention.ms"].value)
    return found


def oldest_unread_timestamp(settings: Settings, lag: PartitionLag) -> datetime:
    """Kafka timestamp of the next record the job will read on a partition.

    Raises BrokerUnavailableError when the record cannot be read: a headroom that cannot be
    measured is a failed check, not a partition left out of it.
    """
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": "lakehouse-quality",
        "enable.auto.commit": False,
        "logger": kafka_logger(),
    }
    partition = lag.partition
    where = f"{partition.topic}[{partition.partition}] at offset {lag.next_offset}"
    consumer = Consumer(config)
    try:
        consumer.assign([KafkaPartition(partition.topic, partition.partition, lag.next_offset)])
        message = consumer.poll(TIMEOUT_SECONDS)
    except KafkaException as error:
        problem = str(error)
    else:
        if message is not None and message.error() is None:
            _, milliseconds = message.timestamp()
            return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
        problem = (
            f"no record within {TIMEOUT_SECONDS:g} s" if message is None else str(message.error())
        )
    finally:
        consumer.close()
    raise BrokerUnavailableError(
        f"cannot read the oldest unread record, {where}, from {settings.kafka_bootstrap}: "
        f"{problem}. Check that the broker is up (`lakehouse status`) and still holds that "
        "offset; the retention headroom is unknown until it does."
    )


def partition_headroom_hours(
    settings: Settings, lags: list[PartitionLag], at: datetime
) -> dict[TopicPartition, float]:
    """Per partition with unread records, hours at `at` until retention deletes the oldest.

    Partitions with nothing unread, or whose topic keeps records forever, have no entry.
    """
    unread = [lag for lag in lags if lag.lag > 0]
    if not unread:
        return {}
    retention = retention_ms(settings, sorted({lag.partition.topic for lag in unread}))
    headrooms: dict[TopicPartition, float] = {}
    for lag in unread:
        kept_for = retention[lag.partition.topic]
        if kept_for < 0:
            continue
        written_at = oldest_unread_timestamp(settings, lag)
        expires_at = written_at + timedelta(milliseconds=kept_for)
        headrooms[lag.partition] = round((expires_at - at).total_seconds() / 3600, 2)
    return headrooms


def headroom_check(
    settings: Settings, lags: list[PartitionLag], headrooms: dict[TopicPartition, float]
) -> Finding:
    """The tightest partition's headroom against quality.min_retention_headroom_hours."""
    minimum = settings.quality.min_retention_headroom_hours
    if not any(lag.lag for lag in lags):
        return measured("retention_headroom", None, minimum, True, "nothing unread in Kafka")
    if not headrooms:
        return measured("retention_headroom", None, minimum, True, "unread data never expires")
    tightest = min(headrooms, key=headrooms.__getitem__)
    hours = headrooms[tightest]
    return measured(
        "retention_headroom",
        hours,
        minimum,
        hours >= minimum,
        f"oldest unread record ({tightest.topic}[{tightest.partition}]) expires in {hours:g} h "
        f"(minimum {minimum:g} h)",
    )


def retention_headroom(settings: Settings, lags: list[PartitionLag], at: datetime) -> Finding:
    """Hours until retention deletes the oldest unread record, at `at`, against the minimum."""
    return headroom_check(settings, lags, partition_headroom_hours(settings, lags, at))
