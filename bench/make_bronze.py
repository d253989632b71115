"""Append synthetic bronze rows (the bronze table's contract) for the dbt benchmark.

Ten million events through Kafka would measure Kafka and the ingest job again; the dbt
benchmark needs only a bronze table of that size whose ids join the reference data, shaped
like a stream that has run for a while: the history spans --history-days days of event time
(DBT_HISTORY_DAYS unless told) and arrives (ingested_at) shortly after each event; `--new`
rows arrive after all of it, in DBT_NEW_ARRIVAL_MINUTES, mostly events of the latest day and
DBT_NEW_LATE_SHARE of them late events from anywhere in the history.
Run with spark-submit (the bench does):
    make_bronze.py --env local --first-id N --rows M [--history-days D] [--new]
"""

from __future__ import annotations

import sys
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from bench.scales import DBT_HISTORY_DAYS, DBT_NEW_ARRIVAL_MINUTES, DBT_NEW_LATE_SHARE
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings
from lakehouse.simulator import DEFAULT_TOPICS, DEVICES
from transformations.bronze import BRONZE_PARTITION_COLUMNS, BRONZE_SCHEMA

# Events spread over the days before a fixed moment, so every run builds the same dates.
LATEST_EVENT_AT = "2026-11-01 00:00:00"
DAY_SECONDS = 24 * 3600
# A history row arrives up to this long after its event (Kafka, then the micro-batch).
MAX_ARRIVAL_DELAY_SECONDS = 120


def indexed(spark: SparkSession, path: Path, columns: list[str]) -> tuple[DataFrame, int]:
    """A reference table with a dense 0-based index to join generated rows on."""
    rows = spark.read.parquet(str(path)).select(*columns).orderBy(columns[0]).collect()
    frame = spark.createDataFrame(
        [(index, *row) for index, row in enumerate(rows)], ["index", *columns]
    )
    return F.broadcast(frame), len(rows)


def hashed_seconds(seed: int, window_seconds: int) -> Column:
    """A pseudo-random number of seconds in [0, window_seconds), fixed by the row's id."""
    return F.pmod(F.xxhash64("id", F.lit(seed)), F.lit(window_seconds))


def event_and_arrival_times(
    first_id: int, rows: int, *, new: bool, history_days: int
) -> tuple[Column, Column]:
    """event_at and ingested_at of a history row, or of a row arriving after the history."""
    latest = F.to_timestamp(F.lit(LATEST_EVENT_AT))
    history_event_at = latest - F.make_interval(secs=hashed_seconds(2, history_days * DAY_SECONDS))
    if not new:
        delay = hashed_seconds(5, MAX_ARRIVAL_DELAY_SECONDS)
        return history_event_at, history_event_at + F.make_interval(secs=delay)
    is_late = F.pmod(F.xxhash64("id", F.lit(6)), F.lit(1000)) < int(DBT_NEW_LATE_SHARE * 1000)
    latest_day_event_at = latest - F.make_interval(secs=hashed_seconds(2, DAY_SECONDS))
    position = (F.col("id") - F.lit(first_id)) / F.lit(max(rows, 1))
    arrival = (
        latest
        + F.make_interval(secs=F.lit(MAX_ARRIVAL_DELAY_SECONDS))
        + F.make_interval(secs=position * F.lit(DBT_NEW_ARRIVAL_MINUTES * 60))
    )
    return F.when(is_late, history_event_at).otherwise(latest_day_event_at), arrival


def synthetic_bronze(
    spark: SparkSession,
    reference: Path,
    first_id: int,
    rows: int,
    *,
    history_days: int,
    new: bool = False,
) -> DataFrame:
    """`rows` bronze rows with ids from `first_id`, joined to real users and tracks."""
    users, user_count = indexed(spark, reference / "users.parquet", ["user_id", "country"])
    tracks, track_count = indexed(
        spark, reference / "tracks.parquet", ["track_id", "artist_id", "duration_ms"]
    )
    event_at, ingested_at = event_and_arrival_times(
        first_id, rows, new=new, history_days=history_days
    )
    # Each attribute from its own hash of the id: with one hash for both, user (mod the user
    # count) and event type (mod 5) were tied whenever 5 divides the user count, and every
    # user only ever played, only skipped or only liked.
    event_types = F.array(*(F.lit(kind) for kind in ("play", "play", "play", "skip", "like")))
    topics = F.create_map(*(F.lit(part) for pair in DEFAULT_TOPICS.items() for part in pair))
    devices = F.array(*(F.lit(device) for device in DEVICES))
    generated = (
        spark.range(first_id, first_id + rows)
        .withColumn("user_index", F.pmod(F.xxhash64("id"), F.lit(user_count)))
        .withColumn("track_index", F.pmod(F.xxhash64("id", F.lit(1)), F.lit(track_count)))
        .withColumn(
            "event_type", event_types[F.pmod(F.xxhash64("id", F.lit(7)), F.lit(5)).cast("int")]
        )
        .withColumn("event_at", event_at)
        .withColumn("ingested_at", ingested_at)
    )
    joined = generated.join(users, generated["user_index"] == users["index"], how="inner").join(
        tracks.alias("t"), generated["track_index"] == F.col("t.index"), how="inner"
    )
    played_share = F.pmod(F.xxhash64("id", F.lit(3)), F.lit(100)) / 100
    ms_played = F.when(F.col("event_type") == "like", F.lit(None)).otherwise(
        (F.col("duration_ms") * played_share).cast("long")
    )
    events = joined.select(
        F.format_string("bench-%012d", "id").alias("event_id"),
        "event_type",
        "event_at",
        "user_id",
        "track_id",
        "artist_id",
        F.format_string("session-%08d", (F.col("id") / 12).cast("long")).alias("session_id"),
        devices[F.pmod(F.xxhash64("id", F.lit(4)), F.lit(len(DEVICES))).cast("int")].alias(
            "device"
        ),
        "country",
        F.col("duration_ms").alias("track_duration_ms"),
        ms_played.alias("ms_played"),
        F.lit(1).alias("schema_version"),
        F.col("id"),
        F.col("ingested_at"),
    )
    payload = [name for name in events.columns if name not in ("id", "ingested_at")]
    return events.select(
        *(F.col(name) for name in payload),
        F.to_json(F.struct(*payload)).alias("raw_value"),
        F.col("user_id").alias("kafka_key"),
        topics[F.col("event_type")].alias("kafka_topic"),
        F.pmod(F.col("id"), F.lit(3)).cast("int").alias("kafka_partition"),
        F.col("id").alias("kafka_offset"),
        (F.col("ingested_at") - F.make_interval(secs=F.lit(1))).alias("kafka_timestamp"),
        F.col("ingested_at"),
        F.to_date("event_at").alias("event_date"),
        F.hour("event_at").alias("event_hour"),
    ).select(*(F.col(field.name).cast(field.dataType) for field in BRONZE_SCHEMA))


def main() -> None:
    """Append the rows to the configured bronze table."""
    parser = job_parser("make_bronze", __doc__.splitlines()[0])
    parser.add_argument("--first-id", type=int, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument(
        "--history-days",
        type=int,
        default=DBT_HISTORY_DAYS,
        help="days of event time the history spans (late new rows fall anywhere in it)",
    )
    parser.add_argument(
        "--new", action="store_true", help="rows that arrive after the history (see above)"
    )
    arguments = parser.parse_args()
    settings = load_job_settings(arguments, "make_bronze")
    if settings is None:
        sys.exit(EXIT_BAD_CONFIG)
    spark = SparkSession.builder.getOrCreate()
    frame = synthetic_bronze(
        spark,
        Path(settings.reference_location),
        arguments.first_id,
        arguments.rows,
        new=arguments.new,
        history_days=arguments.history_days,
    )
    (
        # One file per partition, as after the maintenance job's OPTIMIZE.
        frame.repartition(*BRONZE_PARTITION_COLUMNS)
        .write.format("delta")
        .mode("append")
        .partitionBy(*BRONZE_PARTITION_COLUMNS)
        .save(settings.bronze_events_location)
    )
    spark.stop()


if __name__ == "__main__":
    main()
