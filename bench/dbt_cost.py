"""dbt on DuckDB: a full build over a large bronze table vs an incremental run after 1% more."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lakehouse import pipeline
from lakehouse.config import Settings
from lakehouse.spark_submit import run_job_logged
from lakehouse.tables import SILVER_EVENTS_TABLE, query_warehouse

MAKE_BRONZE = Path(__file__).resolve().parent / "make_bronze.py"


@dataclass(frozen=True)
class DbtRun:
    """One dbt invocation: wall seconds and each model's and snapshot's own seconds."""

    seconds: float
    models: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DbtCostResult:
    """The full build and the incremental run over the same project and data."""

    events: int
    new_events: int
    silver_rows: int
    full: DbtRun
    incremental: DbtRun

    @property
    def incremental_share(self) -> float:
        """Incremental run time as a share of the full build."""
        return self.incremental.seconds / self.full.seconds if self.full.seconds > 0 else 0.0


def append_bronze(settings: Settings, first_id: int, rows: int, log_path: Path) -> None:
    """Append synthetic bronze rows with Spark (bench/make_bronze.py)."""
    run_job_logged(
        settings, MAKE_BRONZE, ["--first-id", str(first_id), "--rows", str(rows)], log_path
    )


def timed_dbt_build(settings: Settings, artifacts: Path, *, full_refresh: bool) -> DbtRun:
    """`dbt build` as `lakehouse transform` runs it (models, the snapshot, tests); the
    per-node times come from dbt's run_results.json."""
    started = time.monotonic()
    pipeline.transform(
        settings, dbt_command="build", full_refresh=full_refresh, artifacts_dir=artifacts
    )
    seconds = time.monotonic() - started
    results = json.loads((artifacts / "target" / "run_results.json").read_text())
    models = {
        result["unique_id"].split(".")[-1]: float(result["execution_time"])
        for result in results["results"]
        if result["unique_id"].split(".")[0] in ("model", "snapshot")
    }
    return DbtRun(seconds, models)


def measure_dbt_cost(
    settings: Settings, events: int, new_share: float, workdir: Path
) -> DbtCostResult:
    """Bronze of `events` rows, full build; then `new_share` more rows, incremental run."""
    catalog = pipeline.configured_catalog(settings)
    pipeline.write_reference(settings, catalog, as_of=datetime.now(UTC))
    log_path = workdir / "make_bronze.log"
    append_bronze(settings, 0, events, log_path)
    full = timed_dbt_build(settings, workdir / "dbt-full", full_refresh=True)
    new_events = max(1, int(events * new_share))
    append_bronze(settings, events, new_events, log_path)
    incremental = timed_dbt_build(settings, workdir / "dbt-incremental", full_refresh=False)
    _, rows = query_warehouse(settings, f"select count(*) from {SILVER_EVENTS_TABLE}")
    return DbtCostResult(
        events=events,
        new_events=new_events,
        silver_rows=int(rows[0][0]),
        full=full,
        incremental=incremental,
    )
