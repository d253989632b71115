"""A lake and checkpoints the two-query job wrote carry on under the one-query job.

The two-query layout is built here the way that job wrote it: two streaming queries over
the same parsed Kafka stream, each with a Delta sink and its own checkpoint
(`bronze_listening_events`, `quarantine_events`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer
from pyspark.sql import DataFrame, SparkSession

from jobs.job_settings import validation_rules
from lakehouse import pipeline
from lakehouse.kafka.topics import ensure_topics
from lakehouse.monitoring.reconcile import check
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import (
    INGEST_QUERY,
    LEGACY_BRONZE_QUERY,
    LEGACY_QUARANTINE_QUERY,
    ingest_checkpoint,
)
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    parse_listening_events,
    quarantined_records,
    valid_events,
    with_kafka_coordinates,
)

pytestmark = pytest.mark.integration

BROKEN = b"{broken"


def send(settings: Settings, first: int, count: int) -> None:
    """`count` plays to partition 0, every fifth of them broken JSON."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for number in range(first, first + count):
        event = {
            "event_id": f"00000000-0000-4000-8000-{number:012d}",
            "event_type": "play",
            "event_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "user_id": "u-000001",
            "track_id": "t-000001",
        }
        value = BROKEN if number % 5 == 4 else json.dumps(event).encode()
        producer.produce(settings.kafka.topics["plays"], value=value, partition=0)
    assert producer.flush(30) == 0


def run_legacy_sinks(spark: SparkSession, settings: Settings, *, quarantine: bool = True) -> None:
    """One available-now run of the two-query job's sinks (or of its bronze sink alone)."""
    parsed = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(settings.kafka.topics.values()))
        .option("startingOffsets", "earliest")
        .load()
        .transform(with_kafka_coordinates)
        .transform(parse_listening_events, validation_rules(settings))
    )
    sinks: list[tuple[str, DataFrame, str, tuple[str, ...]]] = [
        (
            LEGACY_BRONZE_QUERY,
            valid_events(parsed),
            settings.bronze_events_location,
            BRONZE_PARTITION_COLUMNS,
        )
    ]
    if quarantine:
        sinks.append(
            (
                LEGACY_QUARANTINE_QUERY,
                quarantined_records(parsed),
                settings.quarantine_location,
                QUARANTINE_PARTITION_COLUMNS,
            )
        )
    queries = [
        frame.writeStream.format("delta")
        .queryName(name)
        .partitionBy(*partitions)
        .option("checkpointLocation", settings.checkpoint_location(name))
        .trigger(availableNow=True)
        .start(location)
        for name, frame, location, partitions in sinks
    ]
    for query in queries:
        query.awaitTermination()


def offsets(spark: SparkSession, location: str) -> list[int]:
    rows = spark.read.format("delta").load(location).select("kafka_offset").collect()
    return sorted(int(row.kafka_offset) for row in rows)


def broken(numbers: range) -> list[int]:
    return [number for number in numbers if number % 5 == 4]


def valid(numbers: range) -> list[int]:
    return [number for number in numbers if number % 5 != 4]


def test_two_query_lake_carries_on_under_one_query(stack: Settings, spark: SparkSession) -> None:
    ensure_topics(stack.kafka_bootstrap, stack.kafka.topics.values(), partitions=1)
    send(stack, 0, 20)
    run_legacy_sinks(spark, stack)
    send(stack, 20, 10)
    run_legacy_sinks(spark, stack)
    # A kill after bronze's Delta sink committed batch 1 and before the checkpoint marked it:
    # the table holds offsets up to 30, the commit log says 20.
    (Path(stack.checkpoint_location(LEGACY_BRONZE_QUERY)) / "commits" / "1").unlink()
    assert offsets(spark, stack.bronze_events_location) == valid(range(30))

    send(stack, 30, 10)
    pipeline.ingest(stack, "available-now")

    assert offsets(spark, stack.bronze_events_location) == valid(range(40))
    assert offsets(spark, stack.quarantine_location) == broken(range(40))
    assert (Path(ingest_checkpoint(stack)) / "commits" / "0").exists()
    (plays,) = [row for row in check(stack).partitions if row.partition == 0 and row.kafka_end]
    assert (plays.committed, plays.duplicates, plays.gaps, plays.verdicts) == (40, 0, 0, ("OK",))


def test_two_query_lake_whose_sinks_stopped_apart_is_refused(
    stack: Settings, spark: SparkSession, capfd: pytest.CaptureFixture[str]
) -> None:
    ensure_topics(stack.kafka_bootstrap, stack.kafka.topics.values(), partitions=1)
    send(stack, 0, 20)
    run_legacy_sinks(spark, stack)
    send(stack, 20, 10)
    run_legacy_sinks(spark, stack, quarantine=False)
    capfd.readouterr()

    with pytest.raises(pipeline.PipelineError, match="exit code 5"):
        pipeline.ingest(stack, "available-now")

    output = "".join(capfd.readouterr())
    plays = stack.kafka.topics["plays"]
    assert f"{plays} partition 0: bronze at offset 30, quarantine at offset 20" in output
    assert "lakehouse ingest --trigger available-now" in output
    assert offsets(spark, stack.bronze_events_location) == valid(range(30))
    assert offsets(spark, stack.quarantine_location) == broken(range(20))
    assert not Path(stack.checkpoint_location(INGEST_QUERY)).exists()
