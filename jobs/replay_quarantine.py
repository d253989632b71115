"""Replay quarantine: re-parse quarantined records with today's rules; move those that pass.

Run it with spark-submit (the bronze job's line with this file instead):

    spark-submit <jars> jobs/replay_quarantine.py --env local [--dry-run]

Exit codes: 0 done (also when there is no quarantine table yet), 2 bad configuration,
3 another writer holds the tables (see lakehouse/streaming/locks.py); a Spark error fails the run.
--dry-run reports the counts without writing (and without taking the locks).

Records that now pass are inserted into bronze with a MERGE on the Kafka coordinates that
inserts only what bronze does not hold, then deleted from quarantine (with any other record
bronze already holds), in that order: see `replay`. Records that still fail stay, with their
reason set to what today's parser says, so the table shows why each is still there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.bronze_ingest import written_locations
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from lakehouse.settings import Settings
from lakehouse.streaming import locks
from transformations.bronze import (
    BRONZE_COLUMNS,
    BRONZE_PARTITION_COLUMNS,
    BRONZE_SCHEMA,
    ValidationRules,
    parse_listening_events,
    valid_events,
    with_kafka_coordinates,
)

EXIT_OK = 0
EXIT_LOCKED = 3

# spark-submit names every job after spark.app_name; the session says which job this is.
APP_NAME = "lakehouse-replay-quarantine"

COORDINATES = ["kafka_topic", "kafka_partition", "kafka_offset"]

# Each quarantined record's verdict today.
INSERT = "insert"  # passes now and bronze does not hold it: insert, then delete here
IN_BRONZE = "in_bronze"  # bronze holds it already (a replay stopped half-way): delete here
STAY = "stay"  # still fails: stays here, with today's reason


@dataclass
class ReplaySummary:
    """What one replay found and did (or, in a dry run, would do)."""

    examined: int = 0
    inserted_into_bronze: int = 0
    already_in_bronze: int = 0
    still_quarantined: dict[str, int] = field(default_factory=dict)
    reasons_updated: int = 0

    @property
    def moved_to_bronze(self) -> int:
        """Records that leave quarantine because bronze holds them."""
        return self.inserted_into_bronze + self.already_in_bronze

    def line(self, dry_run: bool) -> str:
        """The one-line report the job prints."""
        staying = sum(self.still_quarantined.values())
        by_reason = ", ".join(
            f"{reason} {count:,}" for reason, count in sorted(self.still_quarantined.items())
        )
        would = "would " if dry_run else ""
        return (
            f"[replay] {'dry run, nothing written: ' if dry_run else ''}"
            f"examined {self.examined:,}, "
            f"{would}move to bronze {self.moved_to_bronze:,} "
            f"({self.already_in_bronze:,} already there), "
            f"{would}stay quarantined {staying:,}"
            + (f" ({by_reason})" if by_reason else "")
            + f", reasons {'to update' if dry_run else 'updated'} {self.reasons_updated:,}"
        )


def as_kafka_records(quarantine: DataFrame) -> DataFrame:
    """Quarantine rows shaped back into the Kafka source's columns, for the bronze parser."""
    return quarantine.select(
        F.col("kafka_key").cast("binary").alias("key"),
        F.col("raw_value").alias("value"),
        F.col("kafka_topic").alias("topic"),
        F.col("kafka_partition").alias("partition"),
        F.col("kafka_offset").alias("offset"),
        F.col("kafka_timestamp").alias("timestamp"),
    )


def reparse(quarantine: DataFrame, rules: ValidationRules, replayed_at: datetime) -> DataFrame:
    """Quarantine rows through the bronze parsing, with `ingested_at` fixed at replayed_at."""
    return (
        quarantine.transform(as_kafka_records)
        .transform(with_kafka_coordinates)
        # current_timestamp() is evaluated anew by each Spark action; the replay runs several
        # (counts, merges) that must agree on which records pass, so "now" is one literal.
        .withColumn("ingested_at", F.lit(replayed_at))
        .transform(parse_listening_events, rules)
    )


def with_outcome(parsed: DataFrame, previous_reasons: DataFrame, held: DataFrame) -> DataFrame:
    """Each re-parsed record's outcome (INSERT, IN_BRONZE, STAY) and if its reason changed."""
    in_bronze = F.col("held_by_bronze")
    return (
        parsed.join(previous_reasons, on=COORDINATES, how="inner")
        .join(held.withColumn("held_by_bronze", F.lit(True)), on=COORDINATES, how="left")
        .withColumn(
            "outcome",
            F.when(in_bronze, IN_BRONZE)
            .when(F.col("quarantine_reason").isNull(), INSERT)
            .otherwise(STAY),
        )
        .withColumn(
            "reason_changed",
            (F.col("outcome") == STAY) & (F.col("quarantine_reason") != F.col("previous_reason")),
        )
    )


def reason_code(reason: Column) -> Column:
    """The reason's kind (`invalid_json`), without the detail after the colon."""
    return F.substring_index(reason, ":", 1)


def summarize(outcomes: DataFrame) -> ReplaySummary:
    """Count the outcomes (one Spark action)."""
    summary = ReplaySummary()
    counts = outcomes.groupBy(
        "outcome", reason_code(F.col("quarantine_reason")).alias("code"), "reason_changed"
    ).count()
    for row in counts.collect():
        records = int(row["count"])
        summary.examined += records
        if row["outcome"] == INSERT:
            summary.inserted_into_bronze += records
        elif row["outcome"] == IN_BRONZE:
            summary.already_in_bronze += records
        else:
            code = str(row["code"])
            summary.still_quarantined[code] = summary.still_quarantined.get(code, 0) + records
            summary.reasons_updated += records if row["reason_changed"] else 0
    return summary


def coordinates_match(target: str, source: str) -> str:
    """MERGE condition: same Kafka record (topic, partition, offset)."""
    return " AND ".join(f"{target}.{name} = {source}.{name}" for name in COORDINATES)


def bronze_coordinates(spark: SparkSession, location: str) -> DataFrame:
    """The coordinates bronze holds now (none when the table does not exist yet)."""
    if not DeltaTable.isDeltaTable(spark, location):
        return spark.createDataFrame([], BRONZE_SCHEMA).select(*COORDINATES)
    return spark.read.format("delta").load(location).select(*COORDINATES)


def insert_into_bronze(spark: SparkSession, location: str, passing: DataFrame) -> None:
    """Insert the passing records that bronze does not hold yet."""
    if not DeltaTable.isDeltaTable(spark, location):
        (
            spark.createDataFrame([], BRONZE_SCHEMA)
            .write.format("delta")
            .partitionBy(*BRONZE_PARTITION_COLUMNS)
            .save(location)
        )
    (
        DeltaTable.forPath(spark, location)
        .alias("bronze")
        .merge(passing.alias("replayed"), coordinates_match("bronze", "replayed"))
        .whenNotMatchedInsertAll()
        # Like the bronze sink's mergeSchema: columns added to the contract join the table.
        .withSchemaEvolution()
        .execute()
    )


def settle_quarantine(spark: SparkSession, location: str, settled: DataFrame) -> None:
    """Delete the `settled` records bronze holds, set today's reason on the rest: one commit."""
    (
        DeltaTable.forPath(spark, location)
        .alias("quarantine")
        .merge(settled.alias("today"), coordinates_match("quarantine", "today"))
        .whenMatchedDelete(condition=f"today.outcome <> '{STAY}'")
        .whenMatchedUpdate(condition=f"today.outcome = '{STAY}'", set={"reason": "today.reason"})
        .execute()
    )


def replay(spark: SparkSession, settings: Settings, dry_run: bool) -> ReplaySummary:
    """Re-parse every quarantined record; unless dry_run, move those that pass to bronze."""
    bronze_location = settings.bronze_events_location
    quarantine_location = settings.quarantine_location
    # The bronze job writes each Kafka record to quarantine once, so coordinates are a key.
    records = spark.read.format("delta").load(quarantine_location)
    parsed = reparse(records, validation_rules(settings), datetime.now(UTC))
    outcomes = with_outcome(
        parsed,
        records.select(*COORDINATES, F.col("reason").alias("previous_reason")),
        bronze_coordinates(spark, bronze_location),
    )
    summary = summarize(outcomes)
    if dry_run:
        return summary

    # Bronze first, quarantine second: a crash in between leaves the records in both tables
    # (never in neither), and the rerun finds them IN_BRONZE, inserts nothing and finishes
    # the delete. The quarantine MERGE reads both tables again after the insert; under the
    # lock only this job writes them, and the re-read settles the same records (one just
    # inserted is IN_BRONZE instead of INSERT, and is deleted either way). Steps with
    # nothing to do are skipped, so a replay with nothing to move writes no empty commit.
    if summary.inserted_into_bronze:
        # The MERGE inserts only coordinates bronze does not hold, so never a record twice.
        # dropDuplicates: the same for the source, should a record ever be quarantined twice.
        passing = parsed.transform(valid_events).select(*BRONZE_COLUMNS).dropDuplicates(COORDINATES)
        insert_into_bronze(spark, bronze_location, passing)
    if summary.moved_to_bronze or summary.reasons_updated:
        settled = outcomes.where((F.col("outcome") != STAY) | F.col("reason_changed")).select(
            *COORDINATES, "outcome", F.col("quarantine_reason").alias("reason")
        )
        settle_quarantine(spark, quarantine_location, settled)
    return summary


def run(settings: Settings, dry_run: bool) -> int:
    """Replay the quarantine table, if there is one, and print the summary line."""
    spark = SparkSession.builder.appName(APP_NAME).getOrCreate()
    try:
        if not DeltaTable.isDeltaTable(spark, settings.quarantine_location):
            print(
                f"[replay] no quarantine table at {settings.quarantine_location}: nothing to do",
                flush=True,
            )
            return EXIT_OK
        summary = replay(spark, settings, dry_run)
        print(summary.line(dry_run), flush=True)
        return EXIT_OK
    finally:
        spark.stop()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments given after the job file on the spark-submit line."""
    parser = job_parser("replay_quarantine", __doc__.splitlines()[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would move, write nothing"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Replay once; a writing replay holds the bronze job's locks, so never beside an ingest."""
    args = parse_args(argv)
    settings = load_job_settings(args, "replay_quarantine")
    if settings is None:
        return EXIT_BAD_CONFIG
    if args.dry_run:
        # A dry run writes nothing, so it may look while an ingest is running.
        return run(settings, dry_run=True)
    try:
        with locks.exclusive_all(
            settings.state_path, written_locations(settings), "replay quarantine"
        ):
            return run(settings, dry_run=False)
    except locks.LockHeldError as error:
        print(f"replay_quarantine: refused: {error}", file=sys.stderr)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
