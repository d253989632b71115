"""Where the bronze job's time goes: the same Kafka topics read as a batch, stage by stage.

Run through spark-submit by bench/drain.py (same jars, same Spark conf as the job):

    spark-submit ... bench/ingest_profile.py --env local --output profile.json

Each stage runs the whole input to a sink and is timed on its own, start-up excluded:
read only (noop sink), read + parse + validate (noop), read + parse + bronze Delta write,
read + parse + quarantine Delta write. The job runs the last two as two streaming queries,
so its cost is about their sum; the difference between stages is what each step costs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from lakehouse.config import Settings
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    parse_listening_events,
    quarantined_records,
    valid_events,
    with_kafka_coordinates,
)


def kafka_batch(spark: SparkSession, settings: Settings) -> DataFrame:
    """Everything the event topics hold, as one batch DataFrame."""
    return (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(settings.kafka.topics.values()))
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
    )


def timed(write: Callable[[], None]) -> float:
    """Seconds one write takes."""
    started = time.perf_counter()
    write()
    return time.perf_counter() - started


def profile(spark: SparkSession, settings: Settings, scratch: str) -> dict[str, float | int]:
    """Seconds per stage over the whole input, and the record count."""
    records = kafka_batch(spark, settings)
    parsed = records.transform(with_kafka_coordinates).transform(
        parse_listening_events, validation_rules(settings)
    )
    count = records.count()  # also warms the JVM, the Kafka consumer pool and the planner
    # The first Delta write of a session loads Delta's classes and caches: not the stages'.
    spark.range(1).write.format("delta").save(f"{scratch}/warm-up")

    def noop(frame: DataFrame) -> Callable[[], None]:
        return lambda: frame.write.format("noop").mode("overwrite").save()

    def delta(frame: DataFrame, name: str, partitions: Sequence[str]) -> Callable[[], None]:
        target = f"{scratch}/{name}"
        return lambda: frame.write.format("delta").partitionBy(*partitions).save(target)

    return {
        "records": count,
        "read": timed(noop(records)),
        "read_parse": timed(noop(parsed)),
        "read_parse_bronze_write": timed(
            delta(valid_events(parsed), "bronze", BRONZE_PARTITION_COLUMNS)
        ),
        "read_parse_quarantine_write": timed(
            delta(quarantined_records(parsed), "quarantine", QUARANTINE_PARTITION_COLUMNS)
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Profile once and write the seconds as JSON."""
    parser = job_parser("ingest_profile", __doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="where the JSON goes")
    parser.add_argument("--scratch", required=True, help="folder for the Delta writes")
    args = parser.parse_args(argv)
    settings = load_job_settings(args, "ingest_profile")
    if settings is None:
        return EXIT_BAD_CONFIG
    spark = SparkSession.builder.appName(f"{settings.spark.app_name}-profile").getOrCreate()
    try:
        args.output.write_text(json.dumps(profile(spark, settings, args.scratch), indent=2))
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
