"""`lakehouse check` on a real small run: clean, lagging, a gap, a recorded loss, duplicates."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from rich.console import Console

from jobs.bronze_ingest import start_ingest
from jobs.data_loss import DATA_LOSS_SCHEMA
from lakehouse.cli.check_view import run_check
from lakehouse.kafka.topics import ensure_topics
from lakehouse.monitoring.reconcile import PartitionCheck, check
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration

# Per (topic key, partition): how many valid events and how many broken records to send.
SENT = {("plays", 0): (6, 0), ("plays", 1): (4, 1), ("skips", 0): (3, 0), ("likes", 0): (0, 2)}


def event(number: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"00000000-0000-4000-8000-{number:012d}",
            "event_type": "play",
            "event_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "user_id": "u-000001",
            "track_id": "t-000001",
        }
    ).encode()


def send(settings: Settings, topic_key: str, partition: int, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for value in values:
        producer.produce(settings.kafka.topics[topic_key], value=value, partition=partition)
    assert producer.flush(30) == 0


def ingest(spark: SparkSession, settings: Settings) -> None:
    """The job's query, in this process: the same code spark-submit runs, sooner."""
    start_ingest(spark, settings, "available-now").awaitTermination()


def numbers(report_rows: list[PartitionCheck]) -> dict[tuple[str, int], tuple[object, ...]]:
    """(earliest, end, committed, bronze rows, quarantine rows, duplicates, gaps, recorded
    loss, lag, verdicts) per partition, topics by their key."""
    return {
        (row.topic.split("-")[0], row.partition): (
            row.kafka_earliest,
            row.kafka_end,
            row.committed,
            row.bronze.rows,
            row.quarantine.rows,
            row.duplicates,
            row.gaps,
            row.recorded_loss,
            row.lag,
            row.verdicts,
        )
        for row in report_rows
    }


def exit_code(settings: Settings, *, accept_recorded_loss: bool = False) -> int:
    output = io.StringIO()
    code = run_check(
        settings,
        as_json=True,
        accept_recorded_loss=accept_recorded_loss,
        console=Console(file=output, width=200),
    )
    assert json.loads(output.getvalue())["ok"] is (code == 0)
    return code


def test_check_reports_lag_gaps_recorded_loss_and_duplicates_with_their_numbers(
    stack: Settings, spark: SparkSession
) -> None:
    topics = stack.kafka.topics
    ensure_topics(stack.kafka_bootstrap, topics.values(), partitions=2)
    for (topic_key, partition), (valid, broken) in SENT.items():
        values = [event(100 * partition + n) for n in range(valid)]
        send(stack, topic_key, partition, values + [b"{broken"] * broken)
    ingest(spark, stack)

    ok = ("OK",)
    clean = {
        ("plays", 0): (0, 6, 6, 6, 0, 0, 0, 0, 0, ok),
        ("plays", 1): (0, 5, 5, 4, 1, 0, 0, 0, 0, ok),
        ("skips", 0): (0, 3, 3, 3, 0, 0, 0, 0, 0, ok),
        ("skips", 1): (0, 0, 0, 0, 0, 0, 0, 0, 0, ok),
        ("likes", 0): (0, 2, 2, 0, 2, 0, 0, 0, 0, ok),
        ("likes", 1): (0, 0, 0, 0, 0, 0, 0, 0, 0, ok),
    }
    assert numbers(check(stack).partitions) == clean
    assert exit_code(stack) == 0

    # Produced, not ingested yet: lag, not an error.
    send(stack, "plays", 0, [event(n) for n in range(50, 53)])
    lagging = {**clean, ("plays", 0): (0, 9, 6, 6, 0, 0, 0, 0, 3, ("LAG",))}
    assert numbers(check(stack).partitions) == lagging
    assert exit_code(stack) == 0

    # A committed offset missing from both tables, and two offsets Kafka deleted unread.
    DeltaTable.forPath(spark, stack.bronze_events_location).delete(
        (F.col("kafka_topic") == topics["skips"]) & (F.col("kafka_offset") == 1)
    )
    send(stack, "likes", 1, [b"{broken", b"{broken"])
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    for future in admin.delete_records([TopicPartition(topics["likes"], 1, 2)]).values():
        future.result(timeout=30)
    gaps = {
        **lagging,
        ("skips", 0): (0, 3, 3, 2, 0, 0, 1, 0, 0, ("GAP",)),
        ("likes", 1): (2, 2, 0, 0, 0, 0, 2, 0, 0, ("GAP",)),
    }
    assert numbers(check(stack).partitions) == gaps
    assert exit_code(stack) == 1

    # Recorded as lost (what the job does with fail_on_data_loss off): reported, not a gap.
    losses = [(topics["skips"], 0, 1, 2, 1), (topics["likes"], 1, 0, 2, 2)]
    spark.createDataFrame(
        [(*loss, datetime.now(UTC), "test") for loss in losses], DATA_LOSS_SCHEMA
    ).write.format("delta").save(stack.data_loss_location)
    recorded = {
        **lagging,
        ("skips", 0): (0, 3, 3, 2, 0, 0, 0, 1, 0, ("LOST",)),
        ("likes", 1): (2, 2, 0, 0, 0, 0, 0, 2, 0, ("LOST",)),
    }
    assert numbers(check(stack).partitions) == recorded
    assert exit_code(stack) == 1
    assert exit_code(stack, accept_recorded_loss=True) == 0

    # The same offset twice in bronze, and an offset in both bronze and quarantine.
    bronze = spark.read.format("delta").load(stack.bronze_events_location)
    plays_0 = (F.col("kafka_topic") == topics["plays"]) & (F.col("kafka_partition") == 0)
    bronze.where(plays_0 & (F.col("kafka_offset") == 2)).write.format("delta").mode("append").save(
        stack.bronze_events_location
    )
    quarantine = spark.read.format("delta").load(stack.quarantine_location)
    plays_1 = (F.col("kafka_topic") == topics["plays"]) & (F.col("kafka_partition") == 1)
    quarantine.where(plays_1).withColumn("kafka_offset", F.lit(0).cast("long")).write.format(
        "delta"
    ).mode("append").save(stack.quarantine_location)
    duplicated = {
        **recorded,
        ("plays", 0): (0, 9, 6, 7, 0, 1, 0, 0, 3, ("DUPLICATE", "LAG")),
        ("plays", 1): (0, 5, 5, 4, 2, 1, 0, 0, 0, ("DUPLICATE",)),
    }
    assert numbers(check(stack).partitions) == duplicated
    assert exit_code(stack, accept_recorded_loss=True) == 1

    output = io.StringIO()
    run_check(
        stack, as_json=False, accept_recorded_loss=False, console=Console(file=output, width=220)
    )
    printed = output.getvalue()
    assert "FAILED: 4 partition(s) do not reconcile." in printed
    assert "--accept-recorded-loss" in printed
