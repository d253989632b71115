"""Maintenance: closed partitions are compacted, the rest untouched, VACUUM keeps 7 days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.bronze_maintenance import EXIT_NO_TABLE, EXIT_OK, maintain
from lakehouse.config import load_settings
from lakehouse.sandbox import sandbox_environment

DAY_ONE, DAY_TWO = "2026-11-22", "2026-11-23"


def test_optimize_compacts_only_closed_partitions(spark: SparkSession, tmp_path: Path) -> None:
    settings = load_settings(environ=sandbox_environment(tmp_path, 1, 2))
    assert maintain(spark, settings, datetime(2026, 11, 23, 1, tzinfo=UTC)) == EXIT_NO_TABLE
    rows = [(f"e{i}", date(2026, 11, 22), 23) for i in range(3)]
    rows += [(f"f{i}", date(2026, 11, 23), 2) for i in range(3)]
    frame = spark.createDataFrame(rows, "event_id string, event_date date, event_hour int")
    location = settings.bronze_events_location
    # Three small appends: three files in each partition.
    for index in range(3):
        part = frame.where(frame.event_id.endswith(str(index)))
        part.write.format("delta").mode("append").partitionBy("event_date", "event_hour").save(
            location
        )

    assert maintain(spark, settings, datetime(2026, 11, 23, 1, tzinfo=UTC)) == EXIT_OK

    files = spark.read.format("delta").load(location).inputFiles()
    per_day = {
        day: sum(f"event_date={day}" in name for name in files) for day in (DAY_ONE, DAY_TWO)
    }
    assert per_day == {DAY_ONE: 1, DAY_TWO: 3}
    history = DeltaTable.forPath(spark, location).history().select("operation").collect()
    operations = [row["operation"] for row in history]
    assert "OPTIMIZE" in operations
    assert "VACUUM END" in operations
    assert spark.read.format("delta").load(location).count() == 6
