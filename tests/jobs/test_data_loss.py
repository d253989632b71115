"""Kafka deletes records before the bronze job reads them: refuse, or record the loss once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from pyspark.sql import SparkSession

from jobs.bronze_ingest import start_ingest
from jobs.data_loss import check_data_loss
from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.kafka.topics import ensure_topics
from lakehouse.lake.tables import lake_connection
from lakehouse.monitoring.reconcile import check
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import ingest_checkpoint

pytestmark = pytest.mark.integration


def send_plays(settings: Settings, numbers: range) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for number in numbers:
        event = {
            "event_id": f"00000000-0000-4000-8000-{number:012d}",
            "event_type": "play",
            "event_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "user_id": "u-000001",
            "track_id": "t-000001",
        }
        producer.produce(settings.kafka.topics["plays"], value=json.dumps(event).encode())
    assert producer.flush(30) == 0


def delete_records_before(settings: Settings, topic: str, offset: int) -> None:
    """What retention does: the partition's log now starts at `offset`."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    futures = admin.delete_records([TopicPartition(topic, 0, offset)])
    for future in futures.values():
        assert future.result(timeout=30).low_watermark == offset


def bronze_offsets(settings: Settings) -> list[int]:
    with lake_connection(settings) as connection:
        rows = connection.execute(
            "select kafka_offset from delta_scan(?) order by 1", [settings.bronze_events_location]
        ).fetchall()
    return [int(offset) for (offset,) in rows]


def recorded_losses(settings: Settings) -> list[tuple[str, int, int, int, int, str]]:
    with lake_connection(settings) as connection:
        rows = connection.execute(
            "select kafka_topic, kafka_partition, from_offset, to_offset_exclusive, records, "
            "detected_by from delta_scan(?) order by from_offset",
            [settings.data_loss_location],
        ).fetchall()
    return [tuple(row) for row in rows]


def test_deleted_records_stop_the_job_or_are_recorded_once_and_skipped(
    stack: Settings,
    spark: SparkSession,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    plays = stack.kafka.topics["plays"]
    ensure_topics(stack.kafka_bootstrap, stack.kafka.topics.values(), partitions=1)
    send_plays(stack, range(20))
    # The first run only sets the scene: the job's query in this process saves a spark-submit.
    start_ingest(spark, stack, "available-now").awaitTermination()
    assert bronze_offsets(stack) == list(range(20))

    # Offsets 20-49 arrive; retention deletes 20-39 before the job runs again.
    send_plays(stack, range(20, 50))
    delete_records_before(stack, plays, 40)
    checkpoint = Path(ingest_checkpoint(stack))
    batches = sorted(path.name for path in (checkpoint / "offsets").iterdir())
    capfd.readouterr()

    with pytest.raises(pipeline.PipelineError, match="exit code 4"):
        pipeline.ingest(stack, "available-now")
    # spark-submit merges the Python driver's stderr into its stdout.
    errors = "".join(capfd.readouterr())
    assert (
        f"{plays} partition 0: offsets 20-39 (20 records) were deleted by Kafka (retention) "
        "before they were ingested" in errors
    )
    assert "LAKEHOUSE__INGEST__FAIL_ON_DATA_LOSS=false" in errors
    assert bronze_offsets(stack) == list(range(20))
    assert sorted(path.name for path in (checkpoint / "offsets").iterdir()) == batches
    assert not (Path(stack.data_loss_location) / "_delta_log").exists()

    monkeypatch.setenv("LAKEHOUSE__INGEST__FAIL_ON_DATA_LOSS", "false")
    accepting = load_settings()
    # The pre-flight alone, as a run that then fails before its checkpoint moves leaves it:
    # the gap is recorded, and the next run must not record it again.
    assert check_data_loss(spark, accepting, [ingest_checkpoint(accepting)]) is True
    expected_loss = (
        plays,
        0,
        20,
        40,
        20,
        "bronze_ingest pre-flight (ingest.fail_on_data_loss: false)",
    )
    assert recorded_losses(accepting) == [expected_loss]
    capfd.readouterr()

    pipeline.ingest(accepting, "available-now")
    output = "".join(capfd.readouterr())
    assert f"{plays} partition 0: offsets 20-39 (20 records)" in output
    assert f"Already recorded in {accepting.data_loss_location}" in output
    assert recorded_losses(accepting) == [expected_loss]
    assert bronze_offsets(accepting) == [*range(20), *range(40, 50)]

    # `lakehouse check` sees the recorded loss, not a gap.
    (row,) = [row for row in check(accepting).partitions if row.topic == plays]
    assert (row.kafka_earliest, row.kafka_end, row.committed, row.bronze.rows) == (
        40,
        50,
        50,
        30,
    )
    assert (row.gaps, row.recorded_loss, row.verdicts) == (0, 20, ("LOST",))
