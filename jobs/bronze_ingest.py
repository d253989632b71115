"""Bronze ingest: Kafka topics -> Delta bronze (valid events) + Delta quarantine (the rest).

Run it with spark-submit (see `lakehouse ingest --print-command` for the full line):

    spark-submit <jars> jobs/bronze_ingest.py --env local --trigger available-now

Exit codes: 0 done, 1 the query failed, 2 bad configuration, 3 another writer holds the
tables (see lakehouse/streaming/locks.py), 4 Kafka deleted records before they were ingested and
ingest.fail_on_data_loss is on, 5 a lake written by the two-query job cannot be continued
exactly (the message says what to run).

One streaming query reads the topics and parses each record once; each micro-batch writes
the valid events to bronze and the rest to quarantine (jobs/bronze_writer.py), so a record
lands in bronze or in quarantine, never both, and never twice after a restart.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from py4j.java_gateway import JavaObject
from pyspark import SparkContext
from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming.listener import (
    JStreamingQueryListener,
    QueryIdleEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
    StreamingQueryListener,
    StreamingQueryProgress,
)
from pyspark.sql.streaming.query import StreamingQuery

from jobs.bronze_compaction import BackgroundCompaction
from jobs.bronze_writer import BronzeBatchWriter, prepare_tables
from jobs.data_loss import check_data_loss
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from jobs.spark_files import HadoopCheckpointFiles, delta_transaction_version
from lakehouse.kafka.topics import BrokerUnavailableError
from lakehouse.kafka.watermarks import partition_watermarks
from lakehouse.settings import IngestConfig, Settings
from lakehouse.streaming import locks
from lakehouse.streaming.checkpoint import (
    INGEST_QUERY,
    LEGACY_BRONZE_QUERY,
    LEGACY_QUARANTINE_QUERY,
    UpgradeRefusedError,
    has_checkpoint,
    ingest_checkpoint,
    legacy_checkpoints,
    legacy_table_end,
    progress_checkpoints,
    query_id,
    starting_offsets_json,
    upgrade_starting_offsets,
)
from lakehouse.streaming.progress import progress_file, write_progress
from transformations.bronze import ingest_columns

EXIT_OK = 0
EXIT_QUERY_FAILED = 1
EXIT_LOCKED = 3
EXIT_DATA_LOSS = 4
EXIT_UPGRADE_REFUSED = 5


class JsonProgressBridge(JStreamingQueryListener):
    """PySpark's bridge from the JVM's listener bus to a Python listener, with each progress
    handed over as one JSON text.

    PySpark's own bridge copies a progress into Python field by field over py4j: one call
    per element of every map and list in it (durations, sources, sink, observed metrics), and
    each iteration ends in a Java exception that PySpark converts by looking a dozen
    exception classes up by name, which has the JVM search every jar of the classpath. One
    progress of a one-source query took 116 ms that way against 1.1 ms as JSON (medians of
    30, the job's class path, 29 November), and the continuous job pays it once per batch,
    in the listener's thread, while the next batch plans its write (a profile of the job at
    10,000 events/s put the listener at half the Python driver's busy time). Here the JVM
    writes the progress as JSON once (`StreamingQueryProgress.json`) and PySpark builds the
    same Python object from it (`StreamingQueryProgress.fromJson`).
    """

    def onQueryProgress(self, jevent: JavaObject) -> None:  # noqa: N802
        progress = StreamingQueryProgress.fromJson(json.loads(jevent.progress().json()))
        self.pylistener.onQueryProgress(QueryProgressEvent(progress=progress))


class ProgressPrinter(StreamingQueryListener):
    """Prints one line per micro-batch so long runs show where they are, and keeps the
    query's last progress where `lakehouse status` reads it."""

    # The JVM-side listener, made on first registration (_jlistener).
    _bridge: JavaObject | None = None

    # Method names are PySpark's listener API.
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def _jlistener(self) -> JavaObject:
        """The JVM-side listener `spark.streams.addListener` registers: PySpark's wrapper
        around JsonProgressBridge instead of its default bridge (see there). This overrides
        PySpark's own (private) property of the same name; PySpark is pinned in uv.lock, and
        the job's tests fail if its progress lines stop."""
        if self._bridge is None:
            self._bridge = SparkContext._jvm.PythonStreamingQueryListenerWrapper(  # type: ignore[union-attr]
                JsonProgressBridge(self)
            )
        return self._bridge

    def onQueryStarted(self, event: QueryStartedEvent) -> None:  # noqa: N802
        print(f"[ingest] {event.name}: started (run {event.runId})", flush=True)

    def onQueryProgress(self, event: QueryProgressEvent) -> None:  # noqa: N802
        progress = event.progress
        # Where a batch spends its time: addBatch is read + parse + both writes, the rest is
        # bookkeeping (offsets, planning, the write-ahead log and the commit log).
        phases = progress.durationMs
        seconds = max(progress.batchDuration, 1) / 1000
        print(
            f"[ingest] {progress.name}: batch {progress.batchId}: "
            f"{progress.numInputRows:,} records in {seconds:.1f} s = "
            f"{progress.numInputRows / seconds:,.0f} records/s "
            f"(addBatch {phases.get('addBatch', 0)} ms, "
            f"planning {phases.get('queryPlanning', 0)}, "
            f"offsets {phases.get('latestOffset', 0)}, "
            f"wal {phases.get('walCommit', 0)}, "
            f"commit {phases.get('commitOffsets', 0)})",
            flush=True,
        )
        write_progress(progress_file(self.settings, progress.name or INGEST_QUERY), progress.json)

    def onQueryIdle(self, event: QueryIdleEvent) -> None:  # noqa: N802
        """Nothing to report: idle queries are normal in continuous mode."""

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:  # noqa: N802
        outcome = f"failed: {event.exception}" if event.exception else "finished"
        print(f"[ingest] {INGEST_QUERY}: {outcome}", flush=True)


def read_kafka(spark: SparkSession, settings: Settings, starting_offsets: str) -> DataFrame:
    """The three event topics as a streaming DataFrame with the Kafka source's columns."""
    ingest = settings.ingest
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(settings.kafka.topics.values()))
        .option("startingOffsets", starting_offsets)
        .option("failOnDataLoss", str(ingest.fail_on_data_loss).lower())
    )
    if ingest.max_offsets_per_trigger is not None:
        reader = reader.option("maxOffsetsPerTrigger", str(ingest.max_offsets_per_trigger))
    return reader.options(**task_split_options(ingest)).load()


def task_split_options(ingest: IngestConfig) -> dict[str, str]:
    """The Kafka source's options that cut a micro-batch's offset ranges into Spark tasks.

    Without them each Kafka partition is one task, and the plays topic's partitions hold
    several times the records of the likes topic's: a large batch ends with one long task
    running alone on one core. maxRecordsPerPartition cuts only ranges longer than it, so
    small continuous batches keep one task per partition (docs/PERFORMANCE.md, "Levers").
    """
    options = {}
    if ingest.min_partitions is not None:
        options["minPartitions"] = str(ingest.min_partitions)
    if ingest.max_records_per_partition is not None:
        options["maxRecordsPerPartition"] = str(ingest.max_records_per_partition)
    return options


def parsed_stream(spark: SparkSession, settings: Settings, starting_offsets: str) -> DataFrame:
    """Kafka records, parsed, validated and cut into both tables' columns in the stream itself.

    Stamping `ingested_at` here, not inside the batch function, makes it the micro-batch's
    timestamp, which Spark keeps in the checkpoint: a batch run again after a crash is
    validated against the same time and splits into the same two sets. The columns are cut
    here too (`table_columns`), once for the query, rather than by the batch function for
    every micro-batch (README, "Performance": about 50 ms of py4j calls per batch).
    """
    return read_kafka(spark, settings, starting_offsets).transform(
        ingest_columns, validation_rules(settings)
    )


def start_ingest(
    spark: SparkSession, settings: Settings, trigger: str, starting_offsets: str | None = None
) -> StreamingQuery:
    """Start the one query; each micro-batch writes bronze and quarantine."""
    checkpoint = ingest_checkpoint(settings)
    columns = parsed_stream(spark, settings, starting_offsets or settings.ingest.starting_offsets)
    prepare_tables(spark, settings, columns)
    writer = (
        columns.writeStream.queryName(INGEST_QUERY)
        .option("checkpointLocation", checkpoint)
        .foreachBatch(BronzeBatchWriter(settings, checkpoint))
    )
    if trigger == "available-now":
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=settings.ingest.trigger_interval)
    return writer.start()


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
    """Everything this job writes: its tables and its checkpoint."""
    return [
        settings.bronze_events_location,
        settings.quarantine_location,
        settings.data_loss_location,
        ingest_checkpoint(settings),
    ]


def upgrade_start(spark: SparkSession, settings: Settings) -> str | None:
    """startingOffsets for the first run on a lake the two-query job wrote, else None."""
    files = HadoopCheckpointFiles(spark)
    legacy = legacy_checkpoints(settings)
    if has_checkpoint(files, ingest_checkpoint(settings)) or not any(
        has_checkpoint(files, location) for location in legacy.values()
    ):
        return None
    tables = {
        LEGACY_BRONZE_QUERY: settings.bronze_events_location,
        LEGACY_QUARANTINE_QUERY: settings.quarantine_location,
    }
    ends = {}
    for query, location in legacy.items():
        written = (
            delta_transaction_version(spark, tables[query], query_id(files, location))
            if has_checkpoint(files, location)
            else None
        )
        ends[query] = legacy_table_end(files, location, written)
    if all(end is None for end in ends.values()):
        return None
    partitions = partition_watermarks(settings.kafka_bootstrap, settings.kafka.topics.values())
    offsets = upgrade_starting_offsets(
        ends[LEGACY_BRONZE_QUERY], ends[LEGACY_QUARANTINE_QUERY], partitions
    )
    print(
        "[ingest] upgrading from the two-query job: both tables end at the same offsets; "
        f"starting there: {starting_offsets_json(offsets)}",
        flush=True,
    )
    return starting_offsets_json(offsets)


def run(settings: Settings, trigger: str) -> int:
    """Check Kafka for lost records, then run the query; the session stops either way."""
    spark = SparkSession.builder.appName(settings.spark.app_name).getOrCreate()
    try:
        starting = upgrade_start(spark, settings)
        checkpoints = progress_checkpoints(settings, HadoopCheckpointFiles(spark))
        if not check_data_loss(spark, settings, checkpoints):
            return EXIT_DATA_LOSS
        return run_query(spark, settings, trigger, starting)
    except UpgradeRefusedError as error:
        print(f"bronze_ingest: refused: {error}", file=sys.stderr)
        return EXIT_UPGRADE_REFUSED
    except BrokerUnavailableError as error:
        print(f"bronze_ingest: {error}", file=sys.stderr)
        return EXIT_QUERY_FAILED
    finally:
        spark.stop()


# Spark 4.1.1 (SPARK-55271): after a restart, the Kafka source's progress metrics throw a
# NullPointerException at the end of the first, recovered batch. The batch itself is
# already committed (both tables and the commit log are written before progress is
# reported), so starting the query again continues correctly; anything else is a failure.
SPARK_55271 = 'because the return value of "scala.Option.get()" is null'
MAX_RECOVERY_RESTARTS = 3


def run_query(
    spark: SparkSession, settings: Settings, trigger: str, starting_offsets: str | None
) -> int:
    """Start the query and wait for it, compacting beside it; stop it on a signal."""
    spark.streams.addListener(ProgressPrinter(settings))
    stopping = False
    query: StreamingQuery | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        print(f"[ingest] signal {signum}: stopping the query", flush=True)
        if query is not None:
            query.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Tables are prepared by the query's first start, so the compaction thread starts after.
    compaction: BackgroundCompaction | None = None
    try:
        for attempt in range(MAX_RECOVERY_RESTARTS + 1):
            # Only the first start of a new checkpoint uses the upgrade's offsets; after that
            # the checkpoint decides.
            query = start_ingest(spark, settings, trigger, starting_offsets)
            if compaction is None:
                compaction = background_compaction(spark, settings, trigger)
            try:
                query.awaitTermination()
                return EXIT_OK
            except StreamingQueryException as error:
                query.stop()
                if SPARK_55271 in str(error) and attempt < MAX_RECOVERY_RESTARTS and not stopping:
                    print(
                        "[ingest] Spark bug SPARK-55271 (metrics of a recovered Kafka batch) "
                        "stopped the query after its batch was committed; restarting it",
                        file=sys.stderr,
                        flush=True,
                    )
                    continue
                print(f"[ingest] the query failed: {error}", file=sys.stderr)
                return EXIT_QUERY_FAILED
        return EXIT_QUERY_FAILED
    finally:
        if compaction is not None:
            compaction.stop()


def background_compaction(
    spark: SparkSession, settings: Settings, trigger: str
) -> BackgroundCompaction | None:
    """The thread that compacts bronze and quarantine beside the continuous stream, if
    configured. An available-now run goes without: its large batches write few files, and a
    pass at its start would take CPU from the drain."""
    interval = settings.ingest.compaction_interval_seconds
    if interval is None or trigger != "continuous":
        return None
    locations = [settings.bronze_events_location, settings.quarantine_location]
    return BackgroundCompaction(spark, locations, interval).start()


if __name__ == "__main__":
    sys.exit(main())
