"""Quality checks: verdicts against thresholds, dbt results, and the lake-reading checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.config import load_settings
from lakehouse.monitoring import quality
from lakehouse.monitoring.findings import FAIL, OK, Finding
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


def test_checks_fail_on_an_empty_lake(settings: Settings) -> None:
    assert not quality.freshness(settings, AT).passed
    assert not quality.silver_retention(settings).passed
    assert not quality.volume(settings, AT).passed
    gold = quality.gold_non_empty(settings)
    assert not gold.passed
    # Every gold model of the dbt project is missing: the four metrics and the star schema.
    assert gold.value == 10
    for name in ("top_tracks", "fct_listens", "dim_users", "track_recommendations"):
        assert f"{name} missing" in gold.message


def _write_bronze(spark: SparkSession, settings: Settings, times: list[datetime]) -> None:
    rows = [(f"e{i}", moment) for i, moment in enumerate(times)]
    frame = spark.createDataFrame(rows, "event_id string, event_at timestamp")
    frame.write.format("delta").save(settings.bronze_events_location)


def test_freshness_and_volume_over_bronze(spark: SparkSession, settings: Settings) -> None:
    # 10 events in the last 24 hours, 14 per day over the 7 days before: ratio 10/14.
    recent = [AT - timedelta(minutes=30 + i) for i in range(10)]
    history = [AT - timedelta(days=2, hours=i) for i in range(98)]
    future = [AT + timedelta(hours=1)]
    _write_bronze(spark, settings, recent + history + future)

    fresh = quality.freshness(settings, AT)
    assert (fresh.passed, fresh.value) == (True, 30.0)
    # Later, the newest event is the one an hour after AT (events after `at` do not count).
    stale = quality.freshness(settings, AT + timedelta(hours=4))
    assert (stale.passed, stale.value) == (False, 180.0)
    assert "outside the 120 min window" in stale.message

    volume = quality.volume(settings, AT)
    assert (volume.passed, volume.value) == (True, round(10 / 14, 3))
    dropped = quality.volume(settings, AT + timedelta(days=1, hours=2))
    assert (dropped.passed, dropped.value) == (False, 0.0)
