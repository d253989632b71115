"""Trains the Spark driver's class archive (lakehouse/streaming/class_archive.py).

Set-up runs it once per JDK, pyspark and jar set, with a JVM that writes every class it
loaded into the archive when it exits:

    python -m lakehouse.streaming.class_archive

It is a small bronze ingest through the job's own code, so the JVM loads what a real run
loads: the parse and validation of transformations/bronze.py, one streaming query with
foreachBatch, jobs/bronze_writer.py's idempotent writes to bronze and quarantine, and
the Delta reads after them. Kafka is not running at set-up, so the records come from a
Delta table shaped like the Kafka source's rows; the Kafka source's own classes are the
only ones a real run loads on top.

Exit codes: 0 trained, 1 the counts did not add up, 2 bad configuration or a lake that
already holds a bronze table (it only writes into the empty stack set-up gives it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from jobs.bronze_ingest import ProgressPrinter
from jobs.bronze_writer import BronzeBatchWriter, prepare_tables
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from lakehouse.settings import Settings
from lakehouse.simulator.catalog import build_catalog
from lakehouse.simulator.events import generate_events
from lakehouse.streaming.checkpoint import INGEST_QUERY, ingest_checkpoint
from transformations.bronze import ingest_columns

EVENTS = 400
MALFORMED = [b"{not json", b'{"event_id": "e-1"}']

# The columns of Spark's Kafka source.
KAFKA_ROW = T.StructType(
    [
        T.StructField("key", T.BinaryType()),
        T.StructField("value", T.BinaryType()),
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.IntegerType()),
        T.StructField("offset", T.LongType()),
        T.StructField("timestamp", T.TimestampType()),
        T.StructField("timestampType", T.IntegerType()),
    ]
)


def kafka_rows(settings: Settings) -> list[tuple[object, ...]]:
    """Simulated events as the Kafka source would hand them over, and a few bad records."""
    now = datetime.now(UTC)
    catalog = build_catalog(users=50, artists=10, tracks=100)
    events = generate_events(catalog, count=EVENTS, seed=1, end=now, window_hours=1)
    rows: list[tuple[object, ...]] = [
        (event.key, event.to_json(), event.topic(settings.event_topics), 0, offset, now, 0)
        for offset, event in enumerate(events)
    ]
    topic = next(iter(settings.kafka.topics.values()))
    rows += [(None, value, topic, 1, offset, now, 0) for offset, value in enumerate(MALFORMED)]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = job_parser("train_class_archive", __doc__.splitlines()[0])
    settings = load_job_settings(parser.parse_args(argv), "train_class_archive")
    if settings is None:
        return EXIT_BAD_CONFIG
    spark = SparkSession.builder.appName(f"{settings.spark.app_name}-class-archive").getOrCreate()
    try:
        return train(spark, settings)
    finally:
        spark.stop()


def train(spark: SparkSession, settings: Settings) -> int:
    """One available-now micro-batch of the simulated records into bronze and quarantine."""
    if DeltaTable.isDeltaTable(spark, settings.bronze_events_location):
        # Set-up gives the job a stack of its own; simulated rows must never reach a real lake.
        print(
            f"train_class_archive: {settings.bronze_events_location} already holds a bronze "
            "table; run it through `python -m lakehouse.streaming.class_archive`, which gives "
            "it an empty lake",
            file=sys.stderr,
        )
        return EXIT_BAD_CONFIG
    source = settings.lake_root.rstrip("/") + "/_class_archive_source"
    rows = kafka_rows(settings)
    spark.createDataFrame(rows, KAFKA_ROW).write.format("delta").mode("overwrite").save(source)
    columns = (
        spark.readStream.format("delta")
        .load(source)
        .transform(ingest_columns, validation_rules(settings))
    )
    prepare_tables(spark, settings, columns)
    checkpoint = ingest_checkpoint(settings)
    spark.streams.addListener(ProgressPrinter(settings))
    query = (
        columns.writeStream.queryName(INGEST_QUERY)
        .option("checkpointLocation", checkpoint)
        .foreachBatch(BronzeBatchWriter(settings, checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    bronze = spark.read.format("delta").load(settings.bronze_events_location)
    quarantine = spark.read.format("delta").load(settings.quarantine_location)
    counts = (bronze.count(), quarantine.count())
    print(f"[train_class_archive] bronze {counts[0]}, quarantine {counts[1]}", flush=True)
    return 0 if sum(counts) == len(rows) and counts[1] >= len(MALFORMED) else 1


if __name__ == "__main__":
    sys.exit(main())
