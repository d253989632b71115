"""Data-quality checks of the quality DAG: each returns a Finding with its value and threshold.

The checks read the lake (Delta, through DuckDB) and the DuckDB warehouse; freshness is
dbt's own `dbt source freshness` of the bronze source. The moment they judge against is
the caller's (the DAG's data interval end), never the clock.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakehouse.lake.tables import SILVER_EVENTS_TABLE, delta_row_count, lake_connection
from lakehouse.monitoring.findings import FAIL, OK, WARN, Finding, measured
from lakehouse.settings import Settings
from lakehouse.warehouse.dbt import DbtCommandError
from lakehouse.warehouse.project import run_project

GOLD_MODELS_DIR = "models/marts"


class QualityCheckError(Exception):
    """One or more checks failed; the message lists each with its value and threshold."""


def at_least(name: str, value: float | None, threshold: float, what: str) -> Finding:
    """A check that passes when value >= threshold; no value (no data) fails."""
    if value is None:
        return measured(name, None, threshold, False, f"no data to measure {what}")
    passed = value >= threshold
    relation = ">=" if passed else "<"
    return measured(name, value, threshold, passed, f"{what} {value:g} {relation} {threshold:g}")


def raise_on_failure(results: list[Finding]) -> None:
    """Raise QualityCheckError naming every failed check."""
    failed = [result.line() for result in results if not result.passed]
    if failed:
        raise QualityCheckError("; ".join(failed))


def _warehouse_count(settings: Settings, table: str) -> int | None:
    database = settings.path(settings.warehouse.duckdb_path)
    if not database.exists():
        return None
    import duckdb  # noqa: PLC0415 - only the warehouse checks need a file connection

    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema || '.' || table_name = ?",
            [table],
        ).fetchone()
        if not found or not found[0]:
            return None
        row = connection.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0


def silver_retention(settings: Settings) -> Finding:
    """Silver rows over distinct bronze event ids: how much of bronze survives cleaning."""
    with lake_connection(settings) as connection:
        if delta_row_count(connection, settings.bronze_events_location) is None:
            distinct = None
        else:
            row = connection.execute(
                "select count(distinct event_id) from delta_scan(?)",
                [settings.bronze_events_location],
            ).fetchone()
            distinct = int(row[0]) if row else 0
    silver = _warehouse_count(settings, SILVER_EVENTS_TABLE)
    ratio = None if not distinct or silver is None else round(silver / distinct, 4)
    return at_least(
        "silver_retention",
        ratio,
        settings.quality.min_silver_retention,
        f"silver/bronze retention ({silver} of {distinct} event ids)",
    )


# The bronze source as dbt names it (dbt/models/staging/_staging.yml).
BRONZE_SOURCE = "bronze.listening_events"
FRESHNESS_LEVELS = {"pass": OK, "warn": WARN, "error": FAIL}


def freshness(settings: Settings, at: datetime, artifacts_dir: Path) -> Finding:
    """`dbt source freshness` of bronze judged at `at`: minutes since the newest row arrived
    (ingested_at), WARN past status.freshness_warn_minutes, FAIL past quality.freshness_minutes.
    """
    sources = artifacts_dir / "target" / "sources.json"
    sources.unlink(missing_ok=True)
    command = ["source", "freshness", "--select", f"source:{BRONZE_SOURCE}"]
    at_text = at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    try:
        run_project(
            _beside_the_warehouse(settings, artifacts_dir),
            command,
            artifacts_dir,
            more_vars={"freshness_at": at_text},
        )
    except DbtCommandError as error:
        # dbt exits non-zero when the source is past error_after, or could not be read:
        # sources.json says which; without it the failure is dbt's own.
        if not sources.is_file():
            return measured(
                "freshness", None, settings.quality.freshness_minutes, False, str(error)
            )
    return freshness_finding(settings, sources, at)


def _beside_the_warehouse(settings: Settings, artifacts_dir: Path) -> Settings:
    """On DuckDB, dbt opens its database file for writing even to read a source, and the
    transformation DAG's dbt may hold the warehouse's lock at that moment. Bronze is read in
    place (delta_scan), so the freshness run gets a scratch database of its own."""
    if settings.warehouse.target != "duckdb":
        return settings
    scratch = str(artifacts_dir / "freshness.duckdb")
    warehouse = settings.warehouse.model_copy(update={"duckdb_path": scratch})
    return settings.model_copy(update={"warehouse": warehouse})


def freshness_finding(settings: Settings, sources: Path, at: datetime) -> Finding:
    """The Finding of bronze's result in dbt's sources.json, at the level dbt gave it."""
    window = settings.quality.freshness_minutes
    results = json.loads(sources.read_text(encoding="utf-8"))["results"]
    unique_id = f"source.lakehouse.{BRONZE_SOURCE}"
    result = next((item for item in results if item["unique_id"] == unique_id), None)
    if result is None or result["status"] not in FRESHNESS_LEVELS:
        # A "runtime error": no bronze table, or no row with an arrival time.
        error = (result or {}).get("error") or f"no result for {unique_id} in {sources}"
        reason = str(error).strip().splitlines()[0]
        return measured("freshness", None, window, False, f"no bronze arrival at {at}: {reason}")
    level = FRESHNESS_LEVELS[result["status"]]
    age = round(float(result["max_loaded_at_time_ago_in_s"]) / 60, 1)
    message = (
        f"newest bronze row arrived {result['max_loaded_at']}, {age:g} min before "
        f"{at.isoformat()} ({'outside' if level == FAIL else 'within'} the {window} min "
        f"window; WARN past {settings.status.freshness_warn_minutes})"
    )
    return Finding("freshness", level, message, age, window)


def volume(settings: Settings, at: datetime) -> Finding:
    """Events in the 24 hours before `at` over the average day of the history before them."""
    days = settings.quality.volume_history_days
    day = timedelta(days=1)
    with lake_connection(settings) as connection:
        if delta_row_count(connection, settings.bronze_events_location) is None:
            return at_least("volume", None, settings.quality.min_volume_ratio, "volume ratio")
        row = connection.execute(
            "select count(*) filter (where event_at >= $day_start), "
            "count(*) filter (where event_at < $day_start) "
            "from delta_scan($location) where event_at >= $history_start and event_at < $at",
            {
                "day_start": at - day,
                "history_start": at - day * (days + 1),
                "at": at,
                "location": settings.bronze_events_location,
            },
        ).fetchone()
    last_day, history = (int(row[0]), int(row[1])) if row else (0, 0)
    average = history / days
    if history == 0:
        # A new pipeline has no history to compare with: nothing is anomalous yet.
        return measured(
            "volume",
            None,
            settings.quality.min_volume_ratio,
            True,
            f"{last_day} events in the last 24h; no history in the {days} days before",
        )
    return at_least(
        "volume",
        round(last_day / average, 3),
        settings.quality.min_volume_ratio,
        f"last 24h {last_day} events vs {average:g}/day over {days} days: ratio",
    )


def dbt_tests(run_results: Path) -> Finding:
    """Every test in dbt's run_results.json passed (and there was at least one)."""
    if not run_results.is_file():
        return measured("dbt_tests", None, 0, False, f"no dbt results at {run_results}")
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    tests = [result for result in results if str(result["unique_id"]).startswith("test.")]
    failed = sorted(str(result["unique_id"]) for result in tests if result["status"] != "pass")
    if not tests:
        return measured("dbt_tests", 0, 0, False, f"no tests in {run_results}")
    message = f"{len(tests) - len(failed)} of {len(tests)} dbt tests passed"
    if failed:
        message += f"; failed: {', '.join(failed)}"
    return measured("dbt_tests", len(failed), 0, not failed, message)


def gold_tables(settings: Settings) -> list[str]:
    """The gold tables dbt builds: one per model in the marts folder."""
    folder = settings.path(settings.warehouse.dbt_project_dir) / GOLD_MODELS_DIR
    return sorted(path.stem for path in folder.glob("*.sql"))


def gold_non_empty(settings: Settings) -> Finding:
    """Every gold table exists and has rows."""
    counts = {name: _warehouse_count(settings, f"gold.{name}") for name in gold_tables(settings)}
    empty = sorted(name for name, rows in counts.items() if not rows)
    message = ", ".join(
        f"{name} {rows if rows is not None else 'missing'}" for name, rows in counts.items()
    )
    return measured("gold_non_empty", len(empty), 0, not empty and bool(counts), f"rows: {message}")
