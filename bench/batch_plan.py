"""What the bronze job's batch function spends building its plan, before any Spark job.

Each micro-batch's function (jobs/bronze_writer.py) turns the batch into the rows it
appends: the valid events and a count of the records and rejected ones. The flat columns
both tables are cut from (`transformations.bronze.table_columns`) are two dozen column
expressions, each built over py4j. Cutting them in the batch function paid for that in
every micro-batch; the job now cuts them in the stream itself, once, and the batch function
only adds its count and filter. This builds the batch function's plan both ways, on the
same parsed batch, on the job's class path, and prints the medians. Not part of `make
bench` (the job's batches measure the effect, within their noise); run it alone:

    .venv/bin/python -m bench.batch_plan
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from pyspark.sql import DataFrame, Observation, SparkSession

from bench.progress_bridge import ROUNDS, median_ms, session_on_job_class_path
from jobs.bronze_writer import counted_bronze_rows
from transformations.bronze import (
    ValidationRules,
    parse_listening_events,
    table_columns,
    with_kafka_coordinates,
)

KAFKA_ROW = (
    "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
)
EVENT = (
    b'{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "play", '
    b'"event_at": "2026-11-29T10:00:00Z", "user_id": "u1", "track_id": "t1"}'
)


def parsed_batch(spark: SparkSession) -> DataFrame:
    """A small batch with the Kafka source's columns, parsed as the job's stream parses."""
    now = datetime.now(UTC)
    rows = [(b"u1", EVENT, "listening-events", 0, offset, now) for offset in range(10)]
    records = spark.createDataFrame(rows, KAFKA_ROW)
    return records.transform(with_kafka_coordinates).transform(
        parse_listening_events, ValidationRules()
    )


def main() -> None:
    spark, _ = session_on_job_class_path("batch-plan")
    parsed = parsed_batch(spark)
    columns = parsed.transform(table_columns)
    names = count()

    def cut_per_batch() -> DataFrame:
        return counted_bronze_rows(table_columns(parsed), Observation(f"b{next(names)}"))

    def cut_in_stream() -> DataFrame:
        return counted_bronze_rows(columns, Observation(f"b{next(names)}"))

    # Twice each, alternately: the first rounds also warm the JVM's code up.
    results: dict[str, list[float]] = {"per batch": [], "in the stream": []}
    for _ in range(2):
        results["per batch"].append(median_ms(cut_per_batch))
        results["in the stream"].append(median_ms(cut_in_stream))
    before, now = results["per batch"][-1], results["in the stream"][-1]
    print(
        f"the batch function's plan (median of {ROUNDS}, second round): columns cut per batch "
        f"{before:.1f} ms, cut in the stream {now:.1f} ms ({before / now:.1f}x); "
        f"first round {results['per batch'][0]:.1f} / {results['in the stream'][0]:.1f} ms"
    )
    spark.stop()


if __name__ == "__main__":
    main()
