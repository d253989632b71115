"""The bronze job through spark-submit against the real broker: every record lands once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from pyspark.sql import DataFrame, SparkSession

from jobs.bronze_ingest import read_kafka
from lakehouse import pipeline
from lakehouse.lake.tables import lake_connection
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration


def create_topics(settings: Settings) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    futures = admin.create_topics(
        [NewTopic(topic, 2, 1) for topic in settings.kafka.topics.values()]
    )
    for future in futures.values():
        future.result(timeout=30)


def send(settings: Settings, values: list[tuple[str, bytes | None]]) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for topic_key, value in values:
        producer.produce(settings.kafka.topics[topic_key], value=value, key=b"u-000001")
    assert producer.flush(30) == 0


def play(number: int, event_type: str = "play") -> bytes:
    event_at = datetime.now(UTC) - timedelta(hours=number % 5)
    return json.dumps(
        {
            "event_id": f"00000000-0000-4000-8000-{number:012d}",
            "event_type": event_type,
            "event_at": event_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "user_id": f"u-{number % 7:06d}",
            "track_id": f"t-{number % 11:06d}",
            "artist_id": "a-00001",
            "session_id": "5d1c1f7e-0000-4000-8000-000000000001",
            "device": "web",
            "country": "DE",
            "track_duration_ms": 180_000,
            "ms_played": 90_000,
            "schema_version": 1,
        }
    ).encode()


def coordinates(settings: Settings, location: str) -> list[tuple[str, int, int]]:
    with lake_connection(settings) as connection:
        rows = connection.execute(
            "select kafka_topic, kafka_partition, kafka_offset from delta_scan(?)", [location]
        ).fetchall()
    return [(str(topic), int(partition), int(offset)) for topic, partition, offset in rows]


def test_valid_and_bad_records_each_land_once_and_a_rerun_adds_nothing(stack: Settings) -> None:
    create_topics(stack)
    records: list[tuple[str, bytes | None]] = [("plays", play(n)) for n in range(40)]
    records += [("skips", play(100 + n, "skip")) for n in range(10)]
    records += [("likes", b"{broken"), ("likes", None), ("plays", b"\xff\xfe")]
    send(stack, records)

    pipeline.ingest(stack, "available-now")

    bronze = coordinates(stack, stack.bronze_events_location)
    quarantine = coordinates(stack, stack.quarantine_location)
    assert len(bronze) == 50
    assert len(quarantine) == 3
    everything = bronze + quarantine
    assert len(set(everything)) == len(everything) == len(records)

    with lake_connection(stack) as connection:
        partitions = connection.execute(
            "select count(distinct (event_date, event_hour)), min(event_hour) >= 0, "
            "count(*) filter (where event_type = 'skip') from delta_scan(?)",
            [stack.bronze_events_location],
        ).fetchone()
        reasons = connection.execute(
            "select split_part(reason, ':', 1) from delta_scan(?) order by 1",
            [stack.quarantine_location],
        ).fetchall()
    assert partitions is not None
    hours = {
        datetime.strptime(json.loads(value)["event_at"], "%Y-%m-%dT%H:%M:%S.000Z").replace(
            minute=0, second=0
        )
        for _, value in records[:50]
        if value is not None
    }
    assert partitions[0] == len(hours)
    assert partitions[1] is True
    assert partitions[2] == 10
    assert [reason for (reason,) in reasons] == ["empty_value", "invalid_json", "invalid_utf8"]

    # The checkpoint remembers what was read: a second run has nothing new to write.
    pipeline.ingest(stack, "available-now")
    assert sorted(coordinates(stack, stack.bronze_events_location)) == sorted(bronze)

    send(stack, [("plays", play(500))])
    pipeline.ingest(stack, "available-now")
    assert len(coordinates(stack, stack.bronze_events_location)) == 51


def test_a_long_kafka_partition_is_read_in_tasks_of_at_most_the_configured_records(
    stack: Settings, spark: SparkSession, tmp_path: Path
) -> None:
    create_topics(stack)
    send(stack, [("plays", play(number)) for number in range(7)])  # one key: one partition

    def tasks_and_offsets(bound: int | None) -> tuple[int, list[int]]:
        ingest = stack.ingest.model_copy(update={"max_records_per_partition": bound})
        settings = stack.model_copy(update={"ingest": ingest})
        seen: list[tuple[int, list[int]]] = []

        def record(batch: DataFrame, _: int) -> None:
            offsets = sorted(row.offset for row in batch.select("offset").collect())
            seen.append((batch.rdd.getNumPartitions(), offsets))

        query = (
            read_kafka(spark, settings, "earliest")
            .writeStream.foreachBatch(record)
            .option("checkpointLocation", str(tmp_path / f"checkpoint-{bound}"))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination(120)
        assert len(seen) == 1  # the job's micro-batch bound holds all seven
        return seen[0]

    assert tasks_and_offsets(3) == (3, list(range(7)))  # 3 + 3 + 1 records
    assert tasks_and_offsets(None) == (1, list(range(7)))  # one task per non-empty partition
