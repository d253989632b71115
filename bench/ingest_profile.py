"""Where the bronze job's time goes, and what each tuning lever is worth, in one session.

Run through spark-submit by bench/drain.py (same jars, same Spark conf as the job):

    spark-submit ... bench/ingest_profile.py --env local --output profile.json --scratch DIR

The first PROFILE_RECORDS records of the same Kafka topics (fewer when the job's
micro-batch, ingest.max_offsets_per_trigger, is smaller) are read as one batch, and each
stage runs it whole to a sink and is timed on its own, start-up excluded. The stages: read
(noop sink); + parse and validate (noop); the job's bronze pass (read + parse + the bronze
Delta write, counting rejected records on the way); the quarantine pass the job adds only for
a batch with rejected records (read + parse again + the quarantine write).

Then each lever is measured against the job's own setting in the same session: the stage it
acts on runs with the job's setting, with the lever the other way, and with the job's setting
again (the job's figure is the mean of the two, since later runs of a session tend to be
faster). The Delta write's levers are measured on a cached copy of the batch, so that the
write's own seconds are compared. Only ratios within one run mean much on a shared machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from bench.scales import PROFILE_RECORDS
from jobs.bronze_writer import (
    BRONZE_STATS_COLUMNS,
    PLAIN_ENCODED_COLUMNS,
    QUARANTINE_STATS_COLUMNS,
    STATS_COLUMNS_PROPERTY,
    append_counting,
    append_once,
    parquet_column_settings,
    prepare_table,
    use_parquet_column_settings,
)
from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings, validation_rules
from lakehouse.kafka.watermarks import partition_watermarks
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import starting_offsets_json
from transformations import bronze
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    QUARANTINE_PARTITION_COLUMNS,
    bronze_rows,
    parse_listening_events,
    quarantine_rows,
    table_columns,
    with_kafka_coordinates,
)

OPTIMIZE_WRITE = "spark.databricks.delta.optimizeWrite.enabled"
CODEC = "spark.sql.parquet.compression.codec"
SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
# Spark keeps up to this many files open per write task instead of sorting the rows by
# partition first (0: always sort).
CONCURRENT_WRITERS = "spark.sql.maxConcurrentOutputFileWriters"
SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions"
# A continuous run's micro-batches: small, many, each an idempotent append.
SMALL_BATCHES = 4
SMALL_BATCH_RECORDS = 1_000


def stats_property(columns: str) -> dict[str, str]:
    """The statistics columns of a profile table, as the job sets them on bronze (a profile
    table takes one or two commits, so the job's checkpoint interval changes nothing)."""
    return {STATS_COLUMNS_PROPERTY: columns}


def profile_batch_end(settings: Settings) -> str:
    """endingOffsets for the profile's batch: at most PROFILE_RECORDS records, and no more than
    ingest.max_offsets_per_trigger, from the start of the topics, spread over the partitions as
    Spark spreads a micro-batch."""
    marks = partition_watermarks(settings.kafka_bootstrap, settings.kafka.topics.values())
    limit = min(settings.ingest.max_offsets_per_trigger or PROFILE_RECORDS, PROFILE_RECORDS)
    share = -(-limit // max(len(marks), 1))
    ends = {key: min(mark.end, mark.earliest + share) for key, mark in marks.items()}
    return starting_offsets_json(ends)


def kafka_batch(spark: SparkSession, settings: Settings) -> DataFrame:
    """One micro-batch's worth of the event topics, from their start, as a batch DataFrame:
    one task per Kafka partition. The job's cut of long ranges into shorter tasks
    (ingest.max_records_per_partition) acts on the streaming source's batches, and Spark
    4.1's batch source left a test's ranges uncut: the drains measure it (drain_levers)."""
    return (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(settings.kafka.topics.values()))
        .option("startingOffsets", "earliest")
        .option("endingOffsets", profile_batch_end(settings))
        .load()
    )


def timed(action: Callable[[], object]) -> float:
    """Seconds one action takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@contextmanager
def spark_conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """A session setting changed for the block, then put back."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


@contextmanager
def variant_type_check() -> Iterator[None]:
    """The parse as it was: every record's text fields type-checked through variants."""
    cheap = bronze._wrong_text_type

    def always_exact(event: Column, raw_text: Column) -> Column:
        return bronze._has_non_text_value(raw_text)

    bronze._wrong_text_type = always_exact
    try:
        yield
    finally:
        bronze._wrong_text_type = cheap


# The pre-filter as it was: one pattern for every non-text form.
ONE_PATTERN = r"^(true|false|[-+]?(NaN|INF|Infinity)|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$"


@contextmanager
def one_pattern_prefilter() -> Iterator[None]:
    """The parse with the previous pre-filter: the pattern ran on every value starting with
    a digit, a sign or one of "tfNI" (every event time and track id)."""
    current = bronze._may_hold_non_text

    def one_pattern(value: Column) -> Column:
        first = F.substring(value, 1, 1)
        return first.isin(*bronze.NON_TEXT_STARTS) | (
            first.isin(*"-+0123456789tfNI") & value.rlike(ONE_PATTERN)
        )

    bronze._may_hold_non_text = one_pattern
    try:
        yield
    finally:
        bronze._may_hold_non_text = current


@contextmanager
def round_trip_utf8_check() -> Iterator[None]:
    """The UTF-8 check as it was: the text encoded back to bytes and compared with the value."""
    current = bronze._is_invalid_utf8

    def round_trip(text: Column, raw_bytes: Column) -> Column:
        return F.encode(text, "UTF-8") != raw_bytes

    bronze._is_invalid_utf8 = round_trip
    try:
        yield
    finally:
        bronze._is_invalid_utf8 = current


@contextmanager
def generator_steps() -> Iterator[None]:
    """The parse as earlier releases built it: each step's columns computed inside a
    generator, inline(array(struct(...))), which Spark evaluates without generated code."""
    projected = bronze._with_columns

    def in_generator(frame: DataFrame, *columns: Column) -> DataFrame:
        return frame.select("*", F.inline(F.array(F.struct(*columns))))

    bronze._with_columns = in_generator
    try:
        yield
    finally:
        bronze._with_columns = projected


@contextmanager
def dictionary_everywhere(spark: SparkSession) -> Iterator[None]:
    """Parquet's default: a dictionary tried on every column, the unique ones included."""
    settings = parquet_column_settings()
    for key in settings:
        spark.conf.unset(key)
    try:
        yield
    finally:
        use_parquet_column_settings(spark)


class Profile:
    """The stages and levers of one session, each timed on the same input."""

    def __init__(self, spark: SparkSession, settings: Settings, scratch: str) -> None:
        self.spark = spark
        self.settings = settings
        self.scratch = scratch
        self.rules = validation_rules(settings)
        self.tables = 0

    def parse(self, records: DataFrame) -> DataFrame:
        return records.transform(with_kafka_coordinates).transform(
            parse_listening_events, self.rules
        )

    def noop(self, frame: DataFrame) -> float:
        return timed(lambda: frame.write.format("noop").mode("overwrite").save())

    def cache(self, parsed: DataFrame) -> tuple[DataFrame, float, int]:
        """The job's first step: stage the batch in the cache, counting each side."""
        staged = parsed.transform(table_columns).persist(StorageLevel.MEMORY_AND_DISK)
        counts: dict[bool, int] = {}

        def count() -> None:
            is_valid = F.col("quarantine_reason").isNull().alias("is_valid")
            for row in staged.groupBy(is_valid).count().collect():
                counts[row["is_valid"]] = row["count"]

        return staged, timed(count), counts.get(False, 0)

    def table(self, name: str) -> str:
        self.tables += 1
        return f"{self.scratch}/{name}-{self.tables}"

    def bronze_write(self, frame: DataFrame, *, stats_columns: str | None) -> float:
        """Append the valid events to a new table, created as the job creates bronze."""
        target = self.table("bronze")
        contract = bronze_rows(frame)
        if stats_columns is not None:
            prepare_table(
                self.spark,
                target,
                contract,
                BRONZE_PARTITION_COLUMNS,
                stats_property(stats_columns),
            )
        return timed(
            lambda: (
                contract.write.format("delta")
                .mode("append")
                .partitionBy(*BRONZE_PARTITION_COLUMNS)
                .save(target)
            )
        )

    def bronze_pass(self, parsed: DataFrame) -> tuple[float, int]:
        """The job's pass: the valid events appended to a new bronze table, counting the
        rejected ones in the same pass; returns the seconds and the rejected count. The job's
        stream cuts the columns (`table_columns`) before its batch function runs."""
        target = self.table("bronze")
        columns = parsed.transform(table_columns)
        prepare_table(
            self.spark,
            target,
            bronze_rows(columns),
            BRONZE_PARTITION_COLUMNS,
            stats_property(BRONZE_STATS_COLUMNS),
        )
        counted: list[int] = []

        def write() -> None:
            written = append_counting(columns, target, app="bench", batch_id=0)
            assert written is not None  # a new table holds no batch
            counted.append(written[1])

        return timed(write), counted[0]

    def small_batches(self, batch: DataFrame) -> float:
        """Seconds for SMALL_BATCHES idempotent appends of `batch`, as micro-batches make."""
        target = self.table("small-batches")
        contract = bronze_rows(batch)
        prepare_table(
            self.spark,
            target,
            contract,
            BRONZE_PARTITION_COLUMNS,
            stats_property(BRONZE_STATS_COLUMNS),
        )
        started = time.perf_counter()
        for batch_id in range(SMALL_BATCHES):
            append_once(contract, target, app="bench", batch_id=batch_id)
        return time.perf_counter() - started

    def quarantine_write(self, frame: DataFrame, rejected: int, skip_empty: bool = True) -> float:
        """Append the rejected records; the job skips the write when there are none."""
        if rejected == 0 and skip_empty:
            return 0.0
        target = self.table("quarantine")
        contract = quarantine_rows(frame)
        prepare_table(
            self.spark,
            target,
            contract,
            QUARANTINE_PARTITION_COLUMNS,
            stats_property(QUARANTINE_STATS_COLUMNS),
        )
        return timed(
            lambda: (
                contract.write.format("delta")
                .mode("append")
                .partitionBy(*QUARANTINE_PARTITION_COLUMNS)
                .save(target)
            )
        )


def lever(
    name: str, job: str, other: str, *, stage: str, job_s: float, other_s: float
) -> dict[str, Any]:
    """One lever: the stage's seconds with the job's setting and with the other one."""
    return {
        "lever": name,
        "job_setting": job,
        "other_setting": other,
        "stage": stage,
        "job_seconds": round(job_s, 2),
        "other_seconds": round(other_s, 2),
    }


def bracketed(job: Callable[[], float], other: Callable[[], float]) -> tuple[float, float]:
    """Seconds with the job's setting (the mean of one run before and one after the other
    setting's) and with the other: later runs of a session tend to be faster, so timing the
    job's setting only first would flatter the other one."""
    before = job()
    other_s = other()
    return (before + job()) / 2, other_s


def under_conf(
    spark: SparkSession, key: str, value: str, action: Callable[[], float]
) -> Callable[[], float]:
    """`action`, run with a session setting changed for it."""

    def changed() -> float:
        with spark_conf(spark, key, value):
            return action()

    return changed


def write_levers(spark: SparkSession, run: Profile, staged: DataFrame) -> list[dict[str, Any]]:
    """The levers of the Delta write, each measured against the job's setting."""
    stage = "bronze write, from a cached batch"

    def job_write() -> float:
        return run.bronze_write(staged, stats_columns=BRONZE_STATS_COLUMNS)

    def measured(
        name: str, job: str, other: str, other_write: Callable[[], float]
    ) -> dict[str, Any]:
        job_s, other_s = bracketed(job_write, other_write)
        return lever(name, job, other, stage=stage, job_s=job_s, other_s=other_s)

    levers = [
        measured(
            "Delta statistics",
            f"only {BRONZE_STATS_COLUMNS}",
            "every column (Delta's default: the first 32)",
            lambda: run.bronze_write(staged, stats_columns=None),
        )
    ]
    optimized = spark.conf.get(OPTIMIZE_WRITE, "false") == "true"
    levers.append(
        measured(
            "optimized writes",
            "on" if optimized else "off",
            "off" if optimized else "on",
            under_conf(spark, OPTIMIZE_WRITE, str(not optimized).lower(), job_write),
        )
    )

    def dictionary_write() -> float:
        with dictionary_everywhere(spark):
            return job_write()

    levers.append(
        measured(
            "Parquet dictionary",
            f"off for {', '.join(PLAIN_ENCODED_COLUMNS)}",
            "on for every column (Parquet's default)",
            dictionary_write,
        )
    )
    codec = spark.conf.get(CODEC, "snappy") or "snappy"
    levers += [
        measured("Parquet codec", codec, other, under_conf(spark, CODEC, other, job_write))
        for other in ("zstd", "uncompressed", "snappy")
        if other != codec
    ]
    shuffle = int(spark.conf.get(SHUFFLE_PARTITIONS, "200") or 200)
    levers += [
        measured(
            "shuffle partitions",
            str(shuffle),
            str(other),
            under_conf(spark, SHUFFLE_PARTITIONS, str(other), job_write),
        )
        for other in sorted({max(1, shuffle // 2), shuffle * 2})
    ]
    writers = spark.conf.get(CONCURRENT_WRITERS, "0") or "0"
    other_writers = "0" if writers != "0" else "64"
    levers.append(
        measured(
            "concurrent output files per task (no sort by partition before the write)",
            writers,
            other_writers,
            under_conf(spark, CONCURRENT_WRITERS, other_writers, job_write),
        )
    )
    small = staged.limit(SMALL_BATCH_RECORDS).persist(StorageLevel.MEMORY_AND_DISK)
    small.count()
    snapshot = spark.conf.get(SNAPSHOT_PARTITIONS, "50") or "50"
    other_snapshot = "50" if snapshot != "50" else "4"
    job_small_s, other = bracketed(
        lambda: run.small_batches(small),
        under_conf(spark, SNAPSHOT_PARTITIONS, other_snapshot, lambda: run.small_batches(small)),
    )
    levers.append(
        lever(
            "Delta snapshot partitions",
            snapshot,
            other_snapshot,
            stage=f"{SMALL_BATCHES} idempotent appends of {SMALL_BATCH_RECORDS:,} events",
            job_s=job_small_s,
            other_s=other,
        )
    )
    small.unpersist()
    return levers


def profile(
    spark: SparkSession, settings: Settings, scratch: str, *, levers: bool = True
) -> dict[str, Any]:
    """Seconds per stage over the whole input, the record count, and (with `levers`) the
    levers."""
    run = Profile(spark, settings, scratch)
    # The job's session writes the unique columns without a dictionary (prepare_tables).
    use_parquet_column_settings(spark)
    records = kafka_batch(spark, settings)
    count = records.count()  # also warms the JVM, the Kafka consumer pool and the planner
    # The first Delta write of a session loads Delta's classes and caches: not the stages'.
    spark.range(1).write.format("delta").save(f"{scratch}/warm-up")

    # Each stage runs once untimed first: its first run compiles the plan's code.
    run.noop(records)
    run.noop(run.parse(records))
    stages: dict[str, float] = {
        "read": run.noop(records),
        "read_parse": run.noop(run.parse(records)),
    }
    # The first write of this plan compiles its code; the one timed next finds it ready.
    run.bronze_pass(run.parse(records))
    stages["bronze_pass"], rejected = run.bronze_pass(run.parse(records))
    # Timed even when nothing is rejected (the job then skips it): what a batch with one
    # rejected record pays on top of the bronze pass.
    stages["quarantine_pass"] = run.quarantine_write(
        run.parse(records).transform(table_columns), rejected, skip_empty=False
    )
    job_s = stages["bronze_pass"] + (stages["quarantine_pass"] if rejected else 0.0)

    measured = measure_levers(run, records, job_s=job_s, rejected=rejected) if levers else []
    # The previous release's work, for the before/after table: every record type-checked
    # through variants inside the parse's generators, each table reading and parsing on its
    # own, statistics and a Parquet dictionary on every column.
    with variant_type_check(), generator_steps(), dictionary_everywhere(spark):
        previous = run.parse(records).transform(table_columns)
        previous_s = run.bronze_write(previous, stats_columns=None)
        # Its quarantine query read and parsed every record even when none was rejected.
        previous_s += run.quarantine_write(previous, rejected, skip_empty=False)
    stages["previous_release_batch"] = previous_s
    return {
        "records": count,
        "rejected": rejected,
        "job_batch": job_s,
        **stages,
        "levers": measured,
    }


def measure_levers(
    run: Profile, records: DataFrame, *, job_s: float, rejected: int
) -> list[dict[str, Any]]:
    """Each lever against the job's setting, in this session; `job_s` is the job's batch."""
    spark = run.spark
    staged, cache_s, _ = run.cache(run.parse(records))
    cached_write_s = run.bronze_write(staged, stats_columns=BRONZE_STATS_COLUMNS)
    levers = write_levers(spark, run, staged)
    cached_quarantine_s = run.quarantine_write(staged, rejected)
    staged.unpersist()
    levers.append(
        lever(
            "one read and parse for both tables",
            "one pass for bronze, counting rejects; a second only when a record is rejected",
            "cache the parsed batch once, write both tables from the cache",
            stage="the whole batch",
            job_s=job_s,
            other_s=cache_s + cached_write_s + cached_quarantine_s,
        )
    )

    def read_parse() -> float:
        return run.noop(run.parse(records))

    parse_variants = (
        (
            "parse steps",
            "generated projections, one generator as the filter's fence",
            "each step inside a generator (evaluated without generated code)",
            generator_steps,
        ),
        (
            "type check of text fields",
            "string read, exact check only where a value looks non-text",
            "every record read again as variants",
            variant_type_check,
        ),
        (
            "pre-filter of the type check",
            "literals compared, the number pattern only on values starting like a number",
            "one pattern for every form, on values starting with a digit, sign or t/f/N/I",
            one_pattern_prefilter,
        ),
        (
            "UTF-8 check",
            "is_valid_utf8 on the bytes the cast kept",
            "the text encoded back to bytes and compared with the value",
            round_trip_utf8_check,
        ),
    )
    for name, job, other_setting, parse_as_other in parse_variants:

        def other_read_parse(parse_as_other: Callable[[], Any] = parse_as_other) -> float:
            with parse_as_other():
                return read_parse()

        read_parse_s, other = bracketed(read_parse, other_read_parse)
        levers.append(
            lever(name, job, other_setting, stage="read + parse", job_s=read_parse_s, other_s=other)
        )
    return levers


def main(argv: Sequence[str] | None = None) -> int:
    """Profile once and write the seconds as JSON."""
    parser = job_parser("ingest_profile", __doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="where the JSON goes")
    parser.add_argument("--scratch", required=True, help="folder for the Delta writes")
    parser.add_argument(
        "--stages-only", action="store_true", help="time the stages, not the levers"
    )
    args = parser.parse_args(argv)
    settings = load_job_settings(args, "ingest_profile")
    if settings is None:
        return EXIT_BAD_CONFIG
    spark = SparkSession.builder.appName(f"{settings.spark.app_name}-profile").getOrCreate()
    try:
        measured = profile(spark, settings, args.scratch, levers=not args.stages_only)
        args.output.write_text(json.dumps(measured, indent=2))
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
