"""Compaction beside the stream: small files become one per partition, the rows and each
batch's transaction id stay as they were, and it runs while batches commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from jobs.bronze_compaction import BackgroundCompaction, compact_small_files
from jobs.bronze_writer import append_once, prepare_tables
from jobs.spark_files import delta_transaction_version
from lakehouse.config import ConfigError, load_settings
from lakehouse.sandbox import sandbox_environment
from lakehouse.settings import AUTO_COMPACT_SETTING, Settings
from tests.jobs.test_bronze_writer import parse, values
from transformations.bronze import BRONZE_PARTITION_COLUMNS, bronze_rows

APP = "compaction-test"


@pytest.fixture
def session(spark: SparkSession) -> Iterator[SparkSession]:
    """A session of its own: compaction sets Delta's OPTIMIZE file sizes on the session."""
    yield spark.newSession()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ=sandbox_environment(tmp_path, 1, 2))


def file_count(spark: SparkSession, location: str) -> int:
    return len(spark.read.format("delta").load(location).inputFiles())


def partitions(spark: SparkSession, location: str) -> int:
    frame = spark.read.format("delta").load(location)
    return frame.select(*BRONZE_PARTITION_COLUMNS).distinct().count()


def event_ids(spark: SparkSession, location: str) -> list[str]:
    rows = spark.read.format("delta").load(location).select("event_id").collect()
    return sorted(row.event_id for row in rows)


def append_batches(spark: SparkSession, location: str, first: int, last: int) -> None:
    """Batches first..last-1 of two events each, every one its own commit (and file)."""
    for batch in range(first, last):
        rows = bronze_rows(parse(spark, values(2 * batch, 2 * batch + 2)))
        assert append_once(rows, location, app=APP, batch_id=batch)


def test_a_pass_leaves_one_file_per_partition_and_the_same_rows(
    session: SparkSession, settings: Settings
) -> None:
    location = settings.bronze_events_location
    prepare_tables(session, settings, parse(session, values(0, 1)))
    append_batches(session, location, 0, 6)
    before = event_ids(session, location)
    assert len(before) == 12
    files = file_count(session, location)
    assert files >= 6
    hours = partitions(session, location)

    removed, added = compact_small_files(session, location)

    assert (removed, added) == (files, hours)
    assert file_count(session, location) == hours
    assert event_ids(session, location) == before
    # A batch the table holds is still found after the compaction's commit: run again after a
    # crash, it writes nothing.
    assert delta_transaction_version(session, location, APP) == 5
    assert not append_once(
        bronze_rows(parse(session, values(10, 12))), location, app=APP, batch_id=5
    )
    assert compact_small_files(session, location) == (0, 0)


def test_compaction_runs_beside_commits_without_losing_or_doubling_a_row(
    session: SparkSession, settings: Settings
) -> None:
    location = settings.bronze_events_location
    prepare_tables(session, settings, parse(session, values(0, 1)))
    compaction = BackgroundCompaction(
        session, [location, settings.quarantine_location], 0.2
    ).start()
    try:
        append_batches(session, location, 0, 20)
    finally:
        compaction.stop()

    assert compaction.passes >= 1
    history = session.sql(f"describe history delta.`{location}`").select("operation").collect()
    assert "OPTIMIZE" in {row.operation for row in history}
    assert event_ids(session, location) == sorted(
        row.event_id for row in bronze_rows(parse(session, values(0, 40))).collect()
    )
    assert delta_transaction_version(session, location, APP) == 19


def test_compaction_beside_the_stream_and_auto_compaction_are_refused_together(
    tmp_path: Path,
) -> None:
    environment = {
        **sandbox_environment(tmp_path, 1, 2),
        "LAKEHOUSE__INGEST__COMPACTION_INTERVAL_SECONDS": "60",
        "LAKEHOUSE__SPARK__CONF": f'{{"{AUTO_COMPACT_SETTING}": "true"}}',
    }

    with pytest.raises(ConfigError, match=r"ingest\.compaction_interval_seconds to null"):
        load_settings(environ=environment)

    environment["LAKEHOUSE__INGEST__COMPACTION_INTERVAL_SECONDS"] = "null"
    assert load_settings(environ=environment).ingest.compaction_interval_seconds is None
