"""One micro-batch of the bronze job: parsed Kafka records -> bronze and quarantine, once.

The batch comes cut into the flat columns both tables take (`transformations.bronze.
table_columns`, applied in the stream itself), so a micro-batch's function only adds its
filters and the count: building those columns over py4j cost about 50 ms per batch.

Why it is exactly once (and where it would not be): docs/RELIABILITY.md, "One query, two
tables". In short:
- Spark writes the batch's Kafka offsets and its timestamp to the checkpoint's `offsets/N`
  before it calls `write_batch`, and marks the batch done (`commits/N`) only after it
  returns. A batch cut short by a crash runs again with the same records and the same
  timestamp, so `ingested_at` and every check that uses it come out the same.
- Each table write is a Delta idempotent write: it commits a transaction id, the app id
  (fixed for the checkpoint: the query id Spark keeps in it) and the batch id as its
  version, with the data, atomically, and is skipped when the table already holds that
  version. So a batch run again after a crash between the two commits writes only the table
  that is missing it. The write looks the version up in the checksum of the commit it reads
  (`jobs/spark_files.py::append_in_transaction`), where Delta's own txnAppId/txnVersion
  options rebuild the table's state from its log on every write.

One pass in the common case: the bronze write reads and parses each record once and, on the
way, counts the batch's records and rejected ones (an observation: Spark aggregates the
counts in the same tasks that write the files). Only a batch that holds rejected records is
read and parsed again, for the quarantine write; that second pass keeps only the rejected
records. Caching the parsed batch for both writes cost more than it saved
(docs/PERFORMANCE.md, "Levers").
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from jobs.spark_files import (
    HadoopCheckpointFiles,
    append_in_transaction,
    clear_uncommitted_delta_log,
    delta_transaction_version,
)
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import app_id, query_id
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    bronze_rows,
    quarantine_rows,
)

# Delta collects file statistics only on the columns readers filter by: silver's incremental
# read (ingested_at), `lakehouse check` and the replay (the Kafka coordinates), the
# dashboard's recent plays (event_at). The rest of the statistics cost write time and are
# never used (docs/PERFORMANCE.md, "Levers").
STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"
KAFKA_COORDINATES = "kafka_topic,kafka_partition,kafka_offset"
BRONZE_STATS_COLUMNS = f"event_at,ingested_at,{KAFKA_COORDINATES}"
QUARANTINE_STATS_COLUMNS = f"ingested_at,{KAFKA_COORDINATES}"

# Delta writes a Parquet checkpoint of the log every this many commits, inside the commit
# that reaches it: with Delta's default of 10, every tenth micro-batch of the continuous job
# took 1-1.5 s longer than the others. The setting is ingest.delta_checkpoint_interval.
CHECKPOINT_INTERVAL_PROPERTY = "delta.checkpointInterval"

# Parquet builds a dictionary for each column of each file until the dictionary outgrows its
# page, then writes the values plain. For the columns that hold a new value for (nearly)
# every event, the raw JSON and the ids, that is hashing and comparing for nothing: about a
# seventh of the bronze write's time (docs/PERFORMANCE.md, "Levers"). Spark passes session
# settings to the Parquet writer, which takes per-column ones after a "#".
PLAIN_ENCODED_COLUMNS = ("raw_value", "event_id", "session_id")


def parquet_column_settings() -> dict[str, str]:
    """The session settings that write PLAIN_ENCODED_COLUMNS without a dictionary."""
    return {f"parquet.enable.dictionary#{column}": "false" for column in PLAIN_ENCODED_COLUMNS}


def use_parquet_column_settings(spark: SparkSession) -> None:
    """Make the session write PLAIN_ENCODED_COLUMNS without a dictionary."""
    for key, value in parquet_column_settings().items():
        spark.conf.set(key, value)


def prepare_table(
    spark: SparkSession,
    location: str,
    contract: DataFrame,
    partition_by: Sequence[str],
    properties: dict[str, str],
) -> None:
    """Create the table with the contract's schema and `properties` if missing. Bring an
    existing table to them: add the contract's columns it lacks (rows written before read
    them as null), and set the `properties` it lacks or holds other values of (a table an
    older release created collected statistics on every column and checkpointed every 10
    commits). The job's appends write only columns the table has (append_in_transaction)."""
    if not DeltaTable.isDeltaTable(spark, location):
        leftovers = clear_uncommitted_delta_log(spark, location)
        if leftovers is not None:
            print(
                f"[ingest] {location}: an earlier run died while creating the table; its "
                f"_delta_log held no commit ({len(leftovers)} temporary file(s)): removed it",
                flush=True,
            )
        builder = (
            DeltaTable.createIfNotExists(spark)
            .location(location)
            .addColumns(contract.schema)
            .partitionedBy(*partition_by)
        )
        for key, value in properties.items():
            builder = builder.property(key, value)
        builder.execute()
        return
    table = DeltaTable.forPath(spark, location)
    held_columns = set(table.toDF().columns)
    added = [field for field in contract.schema.fields if field.name not in held_columns]
    if added:
        columns = ", ".join(f"`{field.name}` {field.dataType.simpleString()}" for field in added)
        spark.sql(f"ALTER TABLE delta.`{location}` ADD COLUMNS ({columns})")
    detail = table.detail().select("properties").first()
    held = detail["properties"] if detail is not None else {}
    changed = {key: value for key, value in properties.items() if held.get(key) != value}
    if changed:
        assignments = ", ".join(f"'{key}' = '{value}'" for key, value in changed.items())
        spark.sql(f"ALTER TABLE delta.`{location}` SET TBLPROPERTIES ({assignments})")


def table_properties(settings: Settings, stats_columns: str) -> dict[str, str]:
    """The Delta table properties the job keeps on one of its tables."""
    return {
        STATS_COLUMNS_PROPERTY: stats_columns,
        CHECKPOINT_INTERVAL_PROPERTY: str(settings.ingest.delta_checkpoint_interval),
    }


def prepare_tables(spark: SparkSession, settings: Settings, columns: DataFrame) -> None:
    """Both tables exist, with the contract's schema and the job's table properties, before
    the first batch; the session writes their Parquet files as PLAIN_ENCODED_COLUMNS says.
    `columns` is the stream (or a batch) as `table_columns` cuts it."""
    use_parquet_column_settings(spark)
    prepare_table(
        spark,
        settings.bronze_events_location,
        bronze_rows(columns),
        BRONZE_PARTITION_COLUMNS,
        table_properties(settings, BRONZE_STATS_COLUMNS),
    )
    prepare_table(
        spark,
        settings.quarantine_location,
        quarantine_rows(columns),
        QUARANTINE_PARTITION_COLUMNS,
        table_properties(settings, QUARANTINE_STATS_COLUMNS),
    )


def append_once(frame: DataFrame, location: str, *, app: str, batch_id: int) -> bool:
    """Append unless the table already holds this batch (Delta's idempotent writes: the
    files and the transaction id (app, batch_id) commit together); True when it wrote."""
    return append_in_transaction(frame, location, app_id=app, version=batch_id)


def counted_bronze_rows(columns: DataFrame, counts: Observation) -> DataFrame:
    """The valid events of a batch cut by `table_columns`, counting on the way (in `counts`,
    once an action has run) its records and the rejected ones."""
    observed = columns.observe(
        counts,
        F.count(F.lit(1)).alias("records"),
        F.count("quarantine_reason").alias("rejected"),
    )
    return bronze_rows(observed)


def append_counting(
    columns: DataFrame, location: str, *, app: str, batch_id: int
) -> tuple[int, int] | None:
    """Append a batch's valid events to bronze, counting its records and rejected ones in the
    same pass; returns (valid, rejected), or None when bronze already holds the batch
    (nothing is written, so nothing is counted). `columns` is the batch as `table_columns`
    cuts it."""
    counts = Observation(f"bronze_batch_{app}_{batch_id}")
    if not append_once(counted_bronze_rows(columns, counts), location, app=app, batch_id=batch_id):
        return None
    metrics = counts.get  # set once the write's tasks have finished
    records, rejected = int(metrics["records"]), int(metrics["rejected"])
    return records - rejected, rejected


class BronzeBatchWriter:
    """The foreachBatch function of the bronze query."""

    def __init__(self, settings: Settings, checkpoint: str) -> None:
        self.settings = settings
        self.checkpoint = checkpoint
        self._app: str | None = None

    def app_id(self, spark: SparkSession) -> str:
        """The query id is in the checkpoint from the moment the query starts."""
        if self._app is None:
            self._app = app_id(query_id(HadoopCheckpointFiles(spark), self.checkpoint))
        return self._app

    def __call__(self, columns: DataFrame, batch_id: int) -> None:
        """Write one micro-batch (parsed and cut by `table_columns`): valid events to bronze,
        the rest to quarantine."""
        spark = columns.sparkSession
        app = self.app_id(spark)
        started = time.perf_counter()
        counted = append_counting(
            columns, self.settings.bronze_events_location, app=app, batch_id=batch_id
        )
        bronze_at = time.perf_counter()
        if counted is None:
            # A batch run again after a crash between the two commits: bronze has it, so its
            # write counted nothing.
            rejected = self.write_quarantine(columns, app, batch_id, rejected=None)
        else:
            rejected = counted[1]
            if rejected:
                self.write_quarantine(columns, app, batch_id, rejected=rejected)
        done_at = time.perf_counter()
        written = "already in bronze" if counted is None else f"{counted[0]:,} to bronze"
        print(
            f"[ingest] batch {batch_id}: {written}, {rejected:,} to quarantine "
            f"(read + parse + bronze write {bronze_at - started:.1f} s, "
            f"quarantine {done_at - bronze_at:.1f} s)",
            flush=True,
        )

    @staticmethod
    def holds_batch(spark: SparkSession, location: str, app: str, batch_id: int) -> bool:
        """Whether the table committed this batch (its transaction version for the app)."""
        version = delta_transaction_version(spark, location, app)
        return version is not None and version >= batch_id

    def write_quarantine(
        self, columns: DataFrame, app: str, batch_id: int, *, rejected: int | None
    ) -> int:
        """Append the rejected records (a second read and parse of the batch); with
        `rejected` None, count them first and write only if there are any."""
        location = self.settings.quarantine_location
        if rejected is None:
            if self.holds_batch(columns.sparkSession, location, app, batch_id):
                return 0
            rejected = quarantine_rows(columns).count()
            if not rejected:
                return 0
        append_once(quarantine_rows(columns), location, app=app, batch_id=batch_id)
        return rejected
