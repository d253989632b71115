"""Bronze ingest: Kafka topics -> Delta bronze (valid events) + Delta quarantine (the rest).

Run it with spark-submit (see `lakehouse ingest --print-command` for the full line):

    spark-submit --jars ... jobs/bronze_ingest.py --env local --trigger available-now

Exit codes: 0 done, 1 a query failed, 2 bad configuration, 3 another writer holds the
tables (see lakehouse/locks.py), 4 Kafka deleted records before they were ingested and
ingest.fail_on_data_loss is on.

Two streaming queries read the same topics through the same parsing code, one per sink,
each with its own checkpoint, so each sink is exactly-once on its own: a record lands in
bronze or in quarantine, never both, and never twice after a restart.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming.listener import (
    QueryIdleEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
    StreamingQueryListener,
)
from pyspark.sql.streaming.query import StreamingQuery

from jobs.data_loss import check_data_loss
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from lakehouse import locks
from lakehouse.config import Settings
from lakehouse.simulator.kafka_topics import BrokerUnavailableError
from lakehouse.streaming_progress import progress_file, write_progress
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    parse_listening_events,
    quarantined_records,
    valid_events,
    with_kafka_coordinates,
)

EXIT_OK = 0
EXIT_QUERY_FAILED = 1
EXIT_LOCKED = 3
EXIT_DATA_LOSS = 4

BRONZE_SINK = "bronze_listening_events"
QUARANTINE_SINK = "quarantine_events"


class ProgressPrinter(StreamingQueryListener):
    """Prints one line per micro-batch so long runs show where they are, and keeps each
    query's last progress where `lakehouse status` reads it."""

    # Method names are PySpark's listener API.
    def __init__(self, settings: Settings) -> None:
        self.names: dict[str, str] = {}
        self.settings = settings

    def onQueryStarted(self, event: QueryStartedEvent) -> None:  # noqa: N802
        self.names[str(event.id)] = event.name or str(event.id)
        print(f"[ingest] {event.name}: started (run {event.runId})", flush=True)

    def onQueryProgress(self, event: QueryProgressEvent) -> None:  # noqa: N802
        progress = event.progress
        # Where a batch spends its time: addBatch is read + parse + write, the rest is
        # bookkeeping (offsets, planning, the write-ahead log and the commit log).
        phases = progress.durationMs
        print(
            f"[ingest] {progress.name}: batch {progress.batchId}: "
            f"{progress.numInputRows} records, "
            f"{progress.processedRowsPerSecond:,.0f} records/s, "
            f"{progress.batchDuration} ms "
            f"(addBatch {phases.get('addBatch', 0)}, "
            f"planning {phases.get('queryPlanning', 0)}, "
            f"offsets {phases.get('latestOffset', 0)}, "
            f"wal {phases.get('walCommit', 0)}, "
            f"commit {phases.get('commitOffsets', 0)})",
            flush=True,
        )
        query_name = progress.name or str(progress.id)
        write_progress(progress_file(self.settings, query_name), progress.json)

    def onQueryIdle(self, event: QueryIdleEvent) -> None:  # noqa: N802
        """Nothing to report: idle queries are normal in continuous mode."""

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:  # noqa: N802
        outcome = f"failed: {event.exception}" if event.exception else "finished"
        name = self.names.get(str(event.id), str(event.id))
        print(f"[ingest] {name}: {outcome}", flush=True)


def read_kafka(spark: SparkSession, settings: Settings) -> DataFrame:
    """The three event topics as a streaming DataFrame with the Kafka source's columns."""
    ingest = settings.ingest
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(settings.kafka.topics.values()))
        .option("startingOffsets", ingest.starting_offsets)
        .option("failOnDataLoss", str(ingest.fail_on_data_loss).lower())
    )
    if ingest.max_offsets_per_trigger is not None:
        reader = reader.option("maxOffsetsPerTrigger", str(ingest.max_offsets_per_trigger))
    return reader.load()


def start_sink(
    frame: DataFrame,
    *,
    name: str,
    location: str,
    checkpoint: str,
    partition_by: Sequence[str],
    trigger: str,
    interval: str,
) -> StreamingQuery:
    """Start one Delta sink with its own checkpoint and the configured trigger."""
    writer = (
        frame.writeStream.format("delta")
        .queryName(name)
        .outputMode("append")
        .partitionBy(*partition_by)
        .option("checkpointLocation", checkpoint)
        # Columns added to the contract later are added to the existing table, not refused.
        .option("mergeSchema", "true")
    )
    if trigger == "available-now":
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=interval)
    return writer.start(location)


def start_ingest(spark: SparkSession, settings: Settings, trigger: str) -> list[StreamingQuery]:
    """Start the bronze and quarantine sinks over the same parsed Kafka stream."""
    parsed = (
        read_kafka(spark, settings)
        .transform(with_kafka_coordinates)
        .transform(parse_listening_events, validation_rules(settings))
    )
    interval = settings.ingest.trigger_interval
    return [
        start_sink(
            parsed.transform(valid_events),
            name=BRONZE_SINK,
            location=settings.bronze_events_location,
            checkpoint=settings.checkpoint_location(BRONZE_SINK),
            partition_by=BRONZE_PARTITION_COLUMNS,
            trigger=trigger,
            interval=interval,
        ),
        start_sink(
            parsed.transform(quarantined_records),
            name=QUARANTINE_SINK,
            location=settings.quarantine_location,
            checkpoint=settings.checkpoint_location(QUARANTINE_SINK),
            partition_by=QUARANTINE_PARTITION_COLUMNS,
            trigger=trigger,
            interval=interval,
        ),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments given after the job file on the spark-submit line."""
    parser = job_parser("bronze_ingest", __doc__.splitlines()[0])
    parser.add_argument(
        "--trigger",
        choices=["available-now", "continuous"],
        help="override ingest.trigger from the configuration",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ingest until the trigger says stop (available-now) or a signal arrives."""
    args = parse_args(argv)
    settings = load_job_settings(args, "bronze_ingest")
    if settings is None:
        return EXIT_BAD_CONFIG
    trigger = args.trigger or settings.ingest.trigger
    try:
        with locks.exclusive_all(settings.state_path, written_locations(settings), "bronze ingest"):
            return run(settings, trigger)
    except locks.LockHeldError as error:
        print(f"bronze_ingest: refused: {error}", file=sys.stderr)
        return EXIT_LOCKED


def written_locations(settings: Settings) -> list[str]:
    """Everything this job writes: its tables and their checkpoints."""
    return [
        settings.bronze_events_location,
        settings.quarantine_location,
        settings.data_loss_location,
        settings.checkpoint_location(BRONZE_SINK),
        settings.checkpoint_location(QUARANTINE_SINK),
    ]


def run(settings: Settings, trigger: str) -> int:
    """Check Kafka for lost records, then run both sinks; the session stops either way."""
    spark = SparkSession.builder.appName(settings.spark.app_name).getOrCreate()
    try:
        checkpoints = [
            settings.checkpoint_location(sink) for sink in (BRONZE_SINK, QUARANTINE_SINK)
        ]
        if not check_data_loss(spark, settings, checkpoints):
            return EXIT_DATA_LOSS
        return run_queries(spark, settings, trigger)
    except BrokerUnavailableError as error:
        print(f"bronze_ingest: {error}", file=sys.stderr)
        return EXIT_QUERY_FAILED
    finally:
        spark.stop()


# Spark 4.1.1 (SPARK-55271): after a restart, the Kafka source's progress metrics throw a
# NullPointerException at the end of the first, recovered batch. The batch itself is
# already committed (sink and commit log are written before progress is reported), so
# starting the queries again continues correctly; anything else stays a failure.
SPARK_55271 = 'because the return value of "scala.Option.get()" is null'
MAX_RECOVERY_RESTARTS = 3


def run_queries(spark: SparkSession, settings: Settings, trigger: str) -> int:
    """Start both sinks and wait for them; stop both on a signal or when one fails."""
    spark.streams.addListener(ProgressPrinter(settings))
    stopping = False
    queries: list[StreamingQuery] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        print(f"[ingest] signal {signum}: stopping the queries", flush=True)
        for query in queries:
            query.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for attempt in range(MAX_RECOVERY_RESTARTS + 1):
        queries[:] = start_ingest(spark, settings, trigger)
        try:
            for query in queries:
                query.awaitTermination()
            return EXIT_OK
        except StreamingQueryException as error:
            for query in queries:
                query.stop()
            if SPARK_55271 in str(error) and attempt < MAX_RECOVERY_RESTARTS and not stopping:
                print(
                    "[ingest] Spark bug SPARK-55271 (metrics of a recovered Kafka batch) "
                    "stopped a query after its batch was committed; restarting the queries",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            print(f"[ingest] a query failed, stopping the others: {error}", file=sys.stderr)
            return EXIT_QUERY_FAILED
    return EXIT_QUERY_FAILED


if __name__ == "__main__":
    sys.exit(main())
