"""One micro-batch of the bronze job: parsed Kafka records -> bronze and quarantine, once.

Why it is exactly once (and where it would not be): docs/RELIABILITY.md, "One query, two
tables". In short:
- Spark writes the batch's Kafka offsets and its timestamp to the checkpoint's `offsets/N`
  before it calls `write_batch`, and marks the batch done (`commits/N`) only after it
  returns. A batch cut short by a crash runs again with the same records and the same
  timestamp, so `ingested_at` and every check that uses it come out the same.
- Each table write carries Delta's idempotent-write options, txnAppId (fixed for the
  checkpoint: the query id Spark keeps in it) and txnVersion (the batch id). Delta commits
  the transaction id with the data, atomically, and skips a write whose version the table
  already holds. So a batch run again after a crash between the two commits writes only the
  table that is missing it.

The parsed batch is cached once, so each record is read from Kafka and parsed once for both
tables; the cache holds each raw value once (bronze keeps the text, quarantine the bytes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from delta.tables import DeltaTable
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.spark_files import HadoopCheckpointFiles
from lakehouse.config import Settings
from lakehouse.ingest_checkpoint import app_id, query_id
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    bronze_rows,
    quarantine_rows,
    quarantined_records,
    table_columns,
    valid_events,
)

# Delta collects file statistics only on the columns readers filter by: silver's incremental
# read (ingested_at), `lakehouse check` and the replay (the Kafka coordinates), the
# dashboard's recent plays (event_at). The rest of the statistics cost write time and are
# never used (docs/PERFORMANCE.md, "Levers").
STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"
KAFKA_COORDINATES = "kafka_topic,kafka_partition,kafka_offset"
BRONZE_STATS_COLUMNS = f"event_at,ingested_at,{KAFKA_COORDINATES}"
QUARANTINE_STATS_COLUMNS = f"ingested_at,{KAFKA_COORDINATES}"


def prepare_table(
    spark: SparkSession,
    location: str,
    contract: DataFrame,
    partition_by: Sequence[str],
    stats_columns: str,
) -> None:
    """Create the table with the contract's schema if missing; make its statistics columns
    the chosen ones (a table an older release created collected them on every column)."""
    if not DeltaTable.isDeltaTable(spark, location):
        (
            DeltaTable.createIfNotExists(spark)
            .location(location)
            .addColumns(contract.schema)
            .partitionedBy(*partition_by)
            .property(STATS_COLUMNS_PROPERTY, stats_columns)
            .execute()
        )
        return
    detail = DeltaTable.forPath(spark, location).detail().select("properties").first()
    properties = detail["properties"] if detail is not None else {}
    if properties.get(STATS_COLUMNS_PROPERTY) != stats_columns:
        spark.sql(
            f"ALTER TABLE delta.`{location}` "
            f"SET TBLPROPERTIES ('{STATS_COLUMNS_PROPERTY}' = '{stats_columns}')"
        )


def prepare_tables(spark: SparkSession, settings: Settings, parsed: DataFrame) -> None:
    """Both tables exist, with the contract's schema, before the first batch."""
    prepare_table(
        spark,
        settings.bronze_events_location,
        valid_events(parsed),
        BRONZE_PARTITION_COLUMNS,
        BRONZE_STATS_COLUMNS,
    )
    prepare_table(
        spark,
        settings.quarantine_location,
        quarantined_records(parsed),
        QUARANTINE_PARTITION_COLUMNS,
        QUARANTINE_STATS_COLUMNS,
    )


def append_once(
    frame: DataFrame,
    location: str,
    partition_by: Sequence[str],
    *,
    app: str,
    batch_id: int,
) -> None:
    """Append unless the table already holds this batch (Delta's idempotent writes)."""
    (
        frame.write.format("delta")
        .mode("append")
        .partitionBy(*partition_by)
        .option("txnAppId", app)
        .option("txnVersion", batch_id)
        # Columns added to the contract later are added to the existing table, not refused.
        .option("mergeSchema", "true")
        .save(location)
    )


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

    def __call__(self, parsed: DataFrame, batch_id: int) -> None:
        """Write one parsed micro-batch: valid events to bronze, the rest to quarantine."""
        app = self.app_id(parsed.sparkSession)
        started = time.perf_counter()
        staged = parsed.transform(table_columns).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            is_valid = F.col("quarantine_reason").isNull().alias("is_valid")
            counts = {
                row["is_valid"]: row["count"] for row in staged.groupBy(is_valid).count().collect()
            }
            valid, rejected = counts.get(True, 0), counts.get(False, 0)
            parsed_at = time.perf_counter()
            if valid:
                append_once(
                    bronze_rows(staged),
                    self.settings.bronze_events_location,
                    BRONZE_PARTITION_COLUMNS,
                    app=app,
                    batch_id=batch_id,
                )
            bronze_at = time.perf_counter()
            if rejected:
                append_once(
                    quarantine_rows(staged),
                    self.settings.quarantine_location,
                    QUARANTINE_PARTITION_COLUMNS,
                    app=app,
                    batch_id=batch_id,
                )
            done_at = time.perf_counter()
        finally:
            staged.unpersist()
        print(
            f"[ingest] batch {batch_id}: {valid:,} to bronze, {rejected:,} to quarantine "
            f"(read + parse {parsed_at - started:.1f} s, "
            f"bronze write {bronze_at - parsed_at:.1f} s, "
            f"quarantine write {done_at - bronze_at:.1f} s)",
            flush=True,
        )
