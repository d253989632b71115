"""The bronze job's micro-batch function on batch DataFrames: one pass for bronze that counts
the rejected records, a second only when there are some, and a batch run again after a crash
between the two tables' commits writes only the table that misses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from jobs.bronze_writer import (
    BRONZE_STATS_COLUMNS,
    CHECKPOINT_INTERVAL_PROPERTY,
    QUARANTINE_STATS_COLUMNS,
    STATS_COLUMNS_PROPERTY,
    BronzeBatchWriter,
    append_counting,
    append_once,
    prepare_table,
    prepare_tables,
)
from jobs.spark_files import (
    TableNotPreparedError,
    clear_uncommitted_delta_log,
    delta_transaction_version,
    idempotent_transaction,
    streaming_update,
)
from lakehouse.config import load_settings
from lakehouse.sandbox import sandbox_environment
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import app_id
from tests.transformations.test_bronze import encoded, event, kafka_records
from transformations.bronze import (
    BRONZE_PARTITION_COLUMNS,
    ValidationRules,
    bronze_rows,
    ingest_columns,
)

QUERY_ID = "5f0c9b7e-1111-4222-8333-444455556666"


def parse(spark: SparkSession, values: list[bytes | None]) -> DataFrame:
    """Records parsed and cut into both tables' columns, as the job's stream gives batches."""
    return kafka_records(spark, values).transform(ingest_columns, ValidationRules())


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A lake under tmp_path; nothing here talks to Kafka."""
    for name, value in sandbox_environment(tmp_path, 9, 10).items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.fixture
def writer(settings: Settings, tmp_path: Path) -> BronzeBatchWriter:
    """The writer of a checkpoint whose query id is QUERY_ID, as Spark writes `metadata`."""
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "metadata").write_text(json.dumps({"id": QUERY_ID}) + "\n")
    return BronzeBatchWriter(settings, str(checkpoint))


def offsets(spark: SparkSession, location: str) -> list[int]:
    rows = spark.read.format("delta").load(location).select("kafka_offset").collect()
    return sorted(row.kafka_offset for row in rows)


def versions(spark: SparkSession, location: str) -> int:
    return spark.sql(f"describe history delta.`{location}`").count()


def values(first: int, count: int) -> list[bytes | None]:
    return [
        encoded(event(event_id=f"00000000-0000-4000-8000-{n:012d}")) for n in range(first, count)
    ]


def table_properties(spark: SparkSession, location: str) -> dict[str, str]:
    row = DeltaTable.forPath(spark, location).detail().select("properties").first()
    assert row is not None
    return {
        key: value
        for key, value in row["properties"].items()
        if key in (STATS_COLUMNS_PROPERTY, CHECKPOINT_INTERVAL_PROPERTY)
    }


def test_the_tables_get_the_jobs_properties_and_an_older_table_is_brought_to_them(
    spark: SparkSession, settings: Settings
) -> None:
    parsed = parse(spark, values(0, 1))
    # Bronze as an older release created it: Delta's defaults, statistics on every column
    # and a checkpoint every 10 commits.
    (
        DeltaTable.createIfNotExists(spark)
        .location(settings.bronze_events_location)
        .addColumns(bronze_rows(parsed).schema)
        .partitionedBy(*BRONZE_PARTITION_COLUMNS)
        .execute()
    )
    assert table_properties(spark, settings.bronze_events_location) == {}

    prepare_tables(spark, settings, parsed)

    interval = str(settings.ingest.delta_checkpoint_interval)
    assert interval == "100"
    assert table_properties(spark, settings.bronze_events_location) == {
        STATS_COLUMNS_PROPERTY: BRONZE_STATS_COLUMNS,
        CHECKPOINT_INTERVAL_PROPERTY: interval,
    }
    assert table_properties(spark, settings.quarantine_location) == {
        STATS_COLUMNS_PROPERTY: QUARANTINE_STATS_COLUMNS,
        CHECKPOINT_INTERVAL_PROPERTY: interval,
    }


def test_a_batch_with_a_rejected_record_writes_each_table_once(
    spark: SparkSession, settings: Settings, writer: BronzeBatchWriter
) -> None:
    parsed = parse(spark, [*values(0, 3), b"not json", *values(4, 6)])
    prepare_tables(spark, settings, parsed)

    writer(parsed, 0)

    assert offsets(spark, settings.bronze_events_location) == [0, 1, 2, 4, 5]
    assert offsets(spark, settings.quarantine_location) == [3]


def test_a_batch_without_rejected_records_adds_no_quarantine_commit(
    spark: SparkSession, settings: Settings, writer: BronzeBatchWriter
) -> None:
    parsed = parse(spark, values(0, 4))
    prepare_tables(spark, settings, parsed)
    created = versions(spark, settings.quarantine_location)

    writer(parsed, 0)

    assert offsets(spark, settings.bronze_events_location) == [0, 1, 2, 3]
    assert versions(spark, settings.quarantine_location) == created


def test_a_batch_run_again_after_a_crash_between_the_tables_writes_only_quarantine(
    spark: SparkSession, settings: Settings, writer: BronzeBatchWriter
) -> None:
    parsed = parse(spark, [b"{}", *values(1, 3), b"[1, 2]"])
    prepare_tables(spark, settings, parsed)
    # The first run of batch 0 committed bronze, then the process was killed.
    assert append_counting(
        parsed, settings.bronze_events_location, app=app_id(QUERY_ID), batch_id=0
    ) == (2, 2)
    bronze_versions = versions(spark, settings.bronze_events_location)

    writer(parsed, 0)  # the run again after the restart
    writer(parsed, 0)  # and once more: both tables hold the batch now

    assert offsets(spark, settings.bronze_events_location) == [1, 2]
    assert versions(spark, settings.bronze_events_location) == bronze_versions
    assert offsets(spark, settings.quarantine_location) == [0, 3]


def test_a_table_whose_creation_was_killed_before_its_commit_is_created_on_restart(
    spark: SparkSession, settings: Settings, writer: BronzeBatchWriter
) -> None:
    # What kill -9 in the middle of creating the tables leaves: bronze's log folder with a
    # temporary file and no commit, quarantine's log folder empty. Delta says neither is a
    # table, and refuses to create one there unless the folder goes.
    bronze_log = Path(settings.bronze_events_location) / "_delta_log"
    bronze_log.mkdir(parents=True)
    (bronze_log / ".00000000000000000000.json.5c1e.tmp").write_text('{"commitInfo":')
    (Path(settings.quarantine_location) / "_delta_log").mkdir(parents=True)
    parsed = parse(spark, [*values(0, 2), b"not json"])

    prepare_tables(spark, settings, parsed)
    writer(parsed, 0)

    assert offsets(spark, settings.bronze_events_location) == [0, 1]
    assert offsets(spark, settings.quarantine_location) == [2]
    assert sorted(path.name for path in bronze_log.glob("0*.json")) == [
        "00000000000000000000.json",
        "00000000000000000001.json",
    ]


def test_the_log_of_a_table_that_has_a_version_is_never_cleared(
    spark: SparkSession, settings: Settings
) -> None:
    location = settings.bronze_events_location
    prepare_tables(spark, settings, parse(spark, values(0, 1)))
    # Even with a temporary file beside the commit, and asked directly.
    (Path(location) / "_delta_log" / ".00000000000000000001.json.9a7f.tmp").write_text("{")

    assert clear_uncommitted_delta_log(spark, location) is None
    assert versions(spark, location) == 1


def next_spark_job(spark: SparkSession) -> int:
    """The id the next Spark job of the session will get."""
    return int(spark.sparkContext._jsc.sc().dagScheduler().nextJobId())


def forget_delta_logs(spark: SparkSession) -> None:
    """Drop the session's cached Delta logs, as a new process starts without them."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()


def committed_batches(spark: SparkSession, settings: Settings) -> str:
    """Bronze with batches 0-2 of app-a and batch 7 of app-b committed."""
    location = settings.bronze_events_location
    parsed = parse(spark, values(0, 2))
    prepare_tables(spark, settings, parsed)
    for app, batch_id in (("app-a", 0), ("app-a", 1), ("app-a", 2), ("app-b", 7)):
        append_counting(parsed, location, app=app, batch_id=batch_id)
    return location


def recorded_versions(spark: SparkSession, location: str) -> list[int | None]:
    return [delta_transaction_version(spark, location, app) for app in ("app-a", "app-b", "c")]


def test_transaction_versions_come_from_the_checksum_and_without_one_from_the_state(
    spark: SparkSession, settings: Settings
) -> None:
    location = committed_batches(spark, settings)
    first_job = next_spark_job(spark)
    # In the process that committed: Delta keeps the newest commit's checksum in memory.
    assert recorded_versions(spark, location) == [2, 7, None]
    # In a new process: the checksum is read from the newest NNNN.crc file.
    forget_delta_logs(spark)
    assert recorded_versions(spark, location) == [2, 7, None]
    assert next_spark_job(spark) == first_job  # neither rebuilt the table's state

    # A process killed between a commit and its checksum leaves the newest version without
    # one; here none has any, so the versions come from the state Delta rebuilds.
    for checksum in (Path(location) / "_delta_log").glob("*.crc"):
        checksum.unlink()
    forget_delta_logs(spark)
    assert recorded_versions(spark, location) == [2, 7, None]
    assert next_spark_job(spark) > first_job


def state_rebuilds(spark: SparkSession, since_job: int) -> int:
    """Spark jobs from `since_job` on in which Delta rebuilt a table's state from its log."""
    jobs = spark.sparkContext._jsc.sc().statusStore().jobsList(None)
    found = 0
    for index in range(jobs.size()):
        job = jobs.apply(index)
        description = job.description()
        if job.jobId() >= since_job and description.isDefined():
            found += "Compute snapshot" in str(description.get())
    return found


def test_an_idempotent_append_looks_its_batch_up_without_rebuilding_the_state(
    spark: SparkSession, settings: Settings
) -> None:
    location = committed_batches(spark, settings)  # app-a holds batches 0-2, app-b batch 7
    contract = bronze_rows(parse(spark, values(10, 12)))
    first_job = next_spark_job(spark)

    assert append_once(contract, location, app="app-a", batch_id=2) is False  # held: skipped
    assert append_once(contract, location, app="app-a", batch_id=3) is True
    assert append_once(contract, location, app="app-b", batch_id=7) is False
    forget_delta_logs(spark)  # a new process reads the newest commit's checksum file
    assert append_once(contract, location, app="c", batch_id=0) is True

    assert state_rebuilds(spark, first_job) == 0
    assert recorded_versions(spark, location) == [3, 7, 0]
    events = spark.read.format("delta").load(location).select("event_id").collect()
    # Batches 0-2 and 7 wrote events 0 and 1; batch 3 and app c's batch 0 events 10 and 11.
    assert sorted(int(row.event_id[-12:]) for row in events) == [0] * 4 + [1] * 4 + [10, 10, 11, 11]
    operations = spark.sql(f"describe history delta.`{location}`").select("operation")
    assert [row.operation for row in operations.limit(2).collect()] == ["STREAMING UPDATE"] * 2


def test_a_concurrent_commit_of_the_same_batch_makes_the_other_fail_instead_of_doubling_it(
    spark: SparkSession, settings: Settings
) -> None:
    location = committed_batches(spark, settings)  # app-a holds batches 0-2
    contract = bronze_rows(parse(spark, values(10, 11)))
    # Two writers of batch 3 (the job's lock stops a second job; Delta is the second guard):
    # one has read the table and not committed yet when the other commits.
    slower = idempotent_transaction(contract, location, app_id="app-a", version=3)
    assert slower is not None
    assert append_once(contract, location, app="app-a", batch_id=3) is True

    files = slower.writeFiles(contract._jdf)
    with pytest.raises(Exception, match="ConcurrentTransactionException"):
        slower.commit(files, streaming_update(spark, "app-a", 3))

    events = spark.read.format("delta").load(location).where("event_id like '%10'").count()
    assert events == 1
    assert recorded_versions(spark, location) == [3, 7, None]


def test_a_contract_column_the_table_lacks_is_added_when_the_job_prepares_it(
    spark: SparkSession, settings: Settings
) -> None:
    location = settings.bronze_events_location
    contract = bronze_rows(parse(spark, values(0, 2)))
    # A table an older release created, before the contract had session_id.
    older = contract.drop("session_id")
    prepare_table(spark, location, older, BRONZE_PARTITION_COLUMNS, {})
    assert append_once(older, location, app="old", batch_id=0) is True

    with pytest.raises(TableNotPreparedError, match="no column session_id: restart the job"):
        append_once(contract, location, app="new", batch_id=0)
    prepare_table(spark, location, contract, BRONZE_PARTITION_COLUMNS, {})
    assert append_once(contract, location, app="new", batch_id=0) is True

    rows = spark.read.format("delta").load(location).select("kafka_offset", "session_id")
    session = "5d1c1f7e-0000-4000-8000-000000000001"
    found = sorted((row.kafka_offset, row.session_id or "null") for row in rows.collect())
    assert found == [(0, session), (0, "null"), (1, session), (1, "null")]


def test_an_append_to_a_table_that_does_not_exist_says_to_create_it(
    spark: SparkSession, settings: Settings
) -> None:
    contract = bronze_rows(parse(spark, values(0, 1)))

    with pytest.raises(TableNotPreparedError, match="is not a Delta table yet"):
        append_once(contract, settings.bronze_events_location, app="a", batch_id=0)
