"""dbt on DuckDB: a full build over a large bronze table vs an incremental run after 1% more.

Neither build runs dbt's unit tests (they check the SQL on fixed inputs; CI runs them). The
full build rebuilds every model. The incremental run is what the transformation DAG runs
after each ingest: every model but the daily ones (track_recommendations, rebuilt by its own
DAG once a day). Both share one target folder, as the DAG's runs do, so the second parses
only what changed."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.scales import DBT_HISTORY_DAYS, DBT_NEW_LATE_SHARE
from lakehouse import pipeline
from lakehouse.config import Settings
from lakehouse.spark_submit import run_job_logged
from lakehouse.tables import SILVER_EVENTS_TABLE, query_warehouse

MAKE_BRONZE = Path(__file__).resolve().parent / "make_bronze.py"


@dataclass(frozen=True)
class DbtRun:
    """One dbt invocation: wall seconds, each model's and snapshot's own seconds, and the
    seconds of all data tests together (dbt runs two nodes at a time, so the parts add up to
    more than the wall time)."""

    seconds: float
    models: dict[str, float] = field(default_factory=dict)
    tests_seconds: float = 0.0
    load_average: float = 0.0
    # dbt's own run time (after start-up and parsing), from run_results.json.
    execution_seconds: float = 0.0


@dataclass(frozen=True)
class DbtCostResult:
    """The full build and the incremental run over the same project and data."""

    events: int
    new_events: int
    silver_rows: int
    full: DbtRun
    incremental: DbtRun
    history_days: int = DBT_HISTORY_DAYS
    new_late_share: float = DBT_NEW_LATE_SHARE

    @property
    def incremental_share(self) -> float:
        """Incremental run time as a share of the full build."""
        return self.incremental.seconds / self.full.seconds if self.full.seconds > 0 else 0.0


def append_bronze(
    settings: Settings, first_id: int, rows: int, log_path: Path, *, new: bool = False
) -> None:
    """Append synthetic bronze rows with Spark (bench/make_bronze.py): the history, or
    (`new`) rows that arrive after it."""
    arguments = ["--first-id", str(first_id), "--rows", str(rows), *(["--new"] if new else [])]
    run_job_logged(settings, MAKE_BRONZE, arguments, log_path)


def timed_dbt_build(
    settings: Settings, artifacts: Path, *, full_refresh: bool, exclude: str | None = None
) -> DbtRun:
    """`dbt build` as `lakehouse transform` runs it (models, the snapshot, tests); the
    per-node times come from dbt's run_results.json."""
    load_average = os.getloadavg()[0]
    started = time.monotonic()
    pipeline.transform(
        settings,
        dbt_command="build",
        full_refresh=full_refresh,
        artifacts_dir=artifacts,
        exclude=exclude,
    )
    seconds = time.monotonic() - started
    run_results = json.loads((artifacts / "target" / "run_results.json").read_text())
    results = run_results["results"]
    kinds = {result["unique_id"]: result["unique_id"].split(".")[0] for result in results}
    models = {
        result["unique_id"].split(".")[-1]: float(result["execution_time"])
        for result in results
        if kinds[result["unique_id"]] in ("model", "snapshot")
    }
    tests = sum(
        float(result["execution_time"])
        for result in results
        if kinds[result["unique_id"]] in ("test", "unit_test")
    )
    return DbtRun(
        seconds,
        models,
        tests_seconds=round(tests, 2),
        load_average=round(load_average, 2),
        execution_seconds=round(float(run_results["elapsed_time"]), 2),
    )


def measure_dbt_cost(
    settings: Settings, events: int, new_share: float, workdir: Path
) -> DbtCostResult:
    """Bronze of `events` rows, full build; then `new_share` more rows, incremental run."""
    catalog = pipeline.configured_catalog(settings)
    pipeline.write_reference(settings, catalog, as_of=datetime.now(UTC))
    log_path = workdir / "make_bronze.log"
    append_bronze(settings, 0, events, log_path)
    artifacts = workdir / "dbt"
    full = timed_dbt_build(
        settings, artifacts, full_refresh=True, exclude="resource_type:unit_test"
    )
    new_events = max(1, int(events * new_share))
    append_bronze(settings, events, new_events, log_path, new=True)
    incremental = timed_dbt_build(
        settings, artifacts, full_refresh=False, exclude=pipeline.SCHEDULED_RUN_EXCLUDES
    )
    _, rows = query_warehouse(settings, f"select count(*) from {SILVER_EVENTS_TABLE}")
    return DbtCostResult(
        events=events,
        new_events=new_events,
        silver_rows=int(rows[0][0]),
        full=full,
        incremental=incremental,
    )
