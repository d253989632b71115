"""The bronze job's pre-flight: records Kafka deleted before the job could read them.

Run before the streaming queries start, inside the job's lock. Each sink's checkpoint says
which offset it reads next; Kafka says the earliest offset it still holds. When Kafka's is
higher, retention deleted records nobody ingested. With ingest.fail_on_data_loss the job
refuses to start and names them; without it, each gap is appended once to the data loss
table (lake.data_loss_table) and the job goes on from Kafka's earliest offset.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from jobs.spark_files import HadoopCheckpointFiles
from lakehouse.kafka.watermarks import partition_watermarks
from lakehouse.settings import Settings
from lakehouse.streaming.offsets import (
    OffsetRange,
    data_loss_failure_message,
    data_loss_gaps,
    data_loss_warning_message,
    read_checkpoint,
    subtract_ranges,
)

# One row per lost range; the Kafka columns are named as in bronze so the tables join.
DATA_LOSS_SCHEMA = T.StructType(
    [
        T.StructField("kafka_topic", T.StringType(), nullable=False),
        T.StructField("kafka_partition", T.IntegerType(), nullable=False),
        T.StructField("from_offset", T.LongType(), nullable=False),
        T.StructField("to_offset_exclusive", T.LongType(), nullable=False),
        T.StructField("records", T.LongType(), nullable=False),
        T.StructField("detected_at", T.TimestampType(), nullable=False),
        T.StructField("detected_by", T.StringType(), nullable=False),
    ]
)


def find_data_loss(
    spark: SparkSession, settings: Settings, checkpoints: Sequence[str]
) -> list[OffsetRange]:
    """Offsets a sink has still to read that Kafka has already deleted (retention)."""
    files = HadoopCheckpointFiles(spark)
    progresses = [read_checkpoint(files, checkpoint) for checkpoint in checkpoints]
    watermarks = partition_watermarks(settings.kafka_bootstrap, settings.kafka.topics.values())
    earliest = {partition: marks.earliest for partition, marks in watermarks.items()}
    return data_loss_gaps(progresses, earliest, settings.ingest.starting_offsets)


def recorded_data_loss(spark: SparkSession, location: str) -> list[OffsetRange]:
    """The offset ranges the data loss table already holds."""
    if not DeltaTable.isDeltaTable(spark, location):
        return []
    rows = (
        spark.read.format("delta")
        .load(location)
        .select("kafka_topic", "kafka_partition", "from_offset", "to_offset_exclusive")
        .collect()
    )
    return [OffsetRange(row[0], row[1], row[2], row[3]) for row in rows]


def record_data_loss(
    spark: SparkSession, location: str, gaps: Sequence[OffsetRange]
) -> list[OffsetRange]:
    """Append the gaps not recorded yet to the data loss table; return what was appended."""
    # A job that fails again before its checkpoint moves finds the same gap: record it once.
    new = subtract_ranges(gaps, recorded_data_loss(spark, location))
    if new:
        detected_at = datetime.now(UTC)
        rows = [
            (
                gap.topic,
                gap.partition,
                gap.from_offset,
                gap.to_offset_exclusive,
                gap.records,
                detected_at,
                "bronze_ingest pre-flight (ingest.fail_on_data_loss: false)",
            )
            for gap in new
        ]
        spark.createDataFrame(rows, DATA_LOSS_SCHEMA).write.format("delta").mode("append").save(
            location
        )
    return new


def check_data_loss(spark: SparkSession, settings: Settings, checkpoints: Sequence[str]) -> bool:
    """Before the queries start: refuse (False) or record and go on when Kafka lost records."""
    # Only what retention deleted while the job was not running is seen here. Deletions
    # during a run hit Spark's own failOnDataLoss (same setting), and `lakehouse check`
    # finds whatever slipped through afterwards.
    gaps = find_data_loss(spark, settings, checkpoints)
    if not gaps:
        return True
    if settings.ingest.fail_on_data_loss:
        print(f"bronze_ingest: refused: {data_loss_failure_message(gaps)}", file=sys.stderr)
        return False
    location = settings.data_loss_location
    new = record_data_loss(spark, location, gaps)
    print(data_loss_warning_message(gaps, new, location), file=sys.stderr, flush=True)
    return True
