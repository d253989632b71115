"""Quality checks: verdicts against thresholds, dbt results, and the lake-reading checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.config import load_settings
from lakehouse.lake.tables import all_tables
from lakehouse.monitoring import quality
from lakehouse.monitoring.findings import FAIL, OK, WARN, Finding
from lakehouse.monitoring.status import table_findings, tables_with_freshness
from lakehouse.sandbox import sandbox_environment
from lakehouse.settings import Settings

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    environment = {**sandbox_environment(tmp_path, 1, 2)}
    return load_settings(environ=environment)


def test_at_least_passes_on_the_threshold_and_fails_below_or_without_data() -> None:
    assert quality.at_least("r", 0.95, 0.95, "retention").passed
    below = quality.at_least("r", 0.9, 0.95, "retention")
    assert (below.passed, below.message) == (False, "retention 0.9 < 0.95")
    assert not quality.at_least("r", None, 0.95, "retention").passed


def test_raise_on_failure_names_every_failed_check() -> None:
    results = [
        Finding("a", OK, "fine", 1, 0),
        Finding("b", FAIL, "too low", 0.2, 0.5),
        Finding("c", FAIL, "no data", None, 1),
    ]
    with pytest.raises(quality.QualityCheckError, match=r"^FAIL b: too low; FAIL c: no data$"):
        quality.raise_on_failure(results)
    quality.raise_on_failure(results[:1])


def _run_results(path: Path, statuses: dict[str, str]) -> Path:
    results = [{"unique_id": key, "status": status} for key, status in statuses.items()]
    path.write_text(json.dumps({"results": results}))
    return path


def test_dbt_tests_pass_only_when_every_test_passed(tmp_path: Path) -> None:
    passing = _run_results(tmp_path / "a.json", {"test.x.a": "pass", "model.x.m": "success"})
    assert quality.dbt_tests(passing).passed
    failing = _run_results(tmp_path / "b.json", {"test.x.a": "pass", "test.x.b": "fail"})
    result = quality.dbt_tests(failing)
    assert (result.passed, result.value) == (False, 1)
    assert result.message == "1 of 2 dbt tests passed; failed: test.x.b"
    assert not quality.dbt_tests(_run_results(tmp_path / "c.json", {"model.x.m": "success"})).passed
    assert not quality.dbt_tests(tmp_path / "missing.json").passed


def test_checks_fail_on_an_empty_lake(settings: Settings, tmp_path: Path) -> None:
    # dbt cannot read a bronze table that is not there: a runtime error, which FAILs.
    empty = quality.freshness(settings, AT, tmp_path / "dbt")
    assert (empty.level, empty.value) == (FAIL, None)
    assert empty.message.startswith("no bronze arrival at 2026-11-23 12:00:00+00:00: ")
    assert not quality.silver_retention(settings).passed
    assert not quality.volume(settings, AT).passed
    gold = quality.gold_non_empty(settings)
    assert not gold.passed
    # Every gold model of the dbt project is missing: the four metrics and the star schema.
    assert gold.value == 10
    for name in ("top_tracks", "fct_listens", "dim_users", "track_recommendations"):
        assert f"{name} missing" in gold.message


def _write_bronze(
    spark: SparkSession, settings: Settings, times: list[datetime], column: str = "event_at"
) -> None:
    rows = [(f"e{i}", moment) for i, moment in enumerate(times)]
    frame = spark.createDataFrame(rows, f"event_id string, {column} timestamp")
    frame.write.format("delta").save(settings.bronze_events_location)


def test_volume_over_bronze(spark: SparkSession, settings: Settings) -> None:
    # 10 events in the last 24 hours, 14 per day over the 7 days before: ratio 10/14.
    recent = [AT - timedelta(minutes=30 + i) for i in range(10)]
    history = [AT - timedelta(days=2, hours=i) for i in range(98)]
    future = [AT + timedelta(hours=1)]
    _write_bronze(spark, settings, recent + history + future)

    volume = quality.volume(settings, AT)
    assert (volume.passed, volume.value) == (True, round(10 / 14, 3))
    dropped = quality.volume(settings, AT + timedelta(days=1, hours=2))
    assert (dropped.passed, dropped.value) == (False, 0.0)


def test_freshness_is_dbt_source_freshness_of_bronze_arrivals(
    spark: SparkSession, settings: Settings, tmp_path: Path
) -> None:
    # Arrivals (ingested_at) 20 and 45 minutes before AT, and one row that has none.
    arrivals = [AT - timedelta(minutes=20), AT - timedelta(minutes=45), None]
    _write_bronze(spark, settings, arrivals, column="ingested_at")  # type: ignore[arg-type]
    artifacts = tmp_path / "dbt"

    fresh = quality.freshness(settings, AT, artifacts)
    assert (fresh.level, fresh.value, fresh.threshold) == (OK, 20.0, 120)
    assert fresh.message == (
        "newest bronze row arrived 2026-11-23T11:40:00+00:00, 20 min before "
        "2026-11-23T12:00:00+00:00 (within the 120 min window; WARN past 30)"
    )
    # dbt's own result, with the thresholds conf/ gave it as vars.
    result = json.loads((artifacts / "target" / "sources.json").read_text())["results"][0]
    assert (result["unique_id"], result["status"]) == (
        "source.lakehouse.bronze.listening_events",
        "pass",
    )
    assert result["criteria"]["warn_after"] == {"count": 30, "period": "minute"}
    assert result["criteria"]["error_after"] == {"count": 120, "period": "minute"}
    # dbt ran on a scratch database beside its artifacts, never holding the warehouse's lock.
    assert (artifacts / "freshness.duckdb").is_file()
    assert not settings.path(settings.warehouse.duckdb_path).exists()

    stale = quality.freshness(settings, AT + timedelta(hours=3), artifacts)
    assert (stale.level, stale.value, stale.passed) == (FAIL, 200.0, False)
    assert stale.message == (
        "newest bronze row arrived 2026-11-23T11:40:00+00:00, 200 min before "
        "2026-11-23T15:00:00+00:00 (outside the 120 min window; WARN past 30)"
    )
    with pytest.raises(quality.QualityCheckError, match=r"^FAIL freshness: newest bronze row"):
        quality.raise_on_failure([stale])


def test_status_grades_bronze_freshness_as_dbt_does(
    spark: SparkSession, settings: Settings, tmp_path: Path
) -> None:
    # `lakehouse status` reads the same column itself (dbt's start-up is too slow for an
    # interactive view); at every moment both must give the same level. On a threshold is
    # not past it: 120 minutes is a WARN (which passes), two seconds more a FAIL (though
    # status shows that age rounded to 120.0 minutes).
    _write_bronze(spark, settings, [AT], column="ingested_at")
    tables = all_tables(settings)
    levels = {}
    for seconds in (30 * 60, 30 * 60 + 2, 120 * 60, 120 * 60 + 2):
        at = AT + timedelta(seconds=seconds)
        dbt_level = quality.freshness(settings, at, tmp_path / "dbt").level
        bronze = table_findings(settings, tables_with_freshness(tables, settings, at), at)[0]
        assert bronze.check == "bronze_freshness"
        levels[seconds] = (dbt_level, bronze.level)
    assert levels == {
        1800: (OK, OK),
        1802: (WARN, WARN),
        7200: (WARN, WARN),
        7202: (FAIL, FAIL),
    }
