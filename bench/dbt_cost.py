"""dbt on DuckDB: a full build over a large bronze table vs an incremental run after 1% more.

Neither build runs dbt's unit tests (they check the SQL on fixed inputs; CI runs them). The
full build rebuilds every model. The incremental run builds and tests what the transformation
DAG does after each ingest: every model but the daily ones (track_recommendations, rebuilt by
its own DAG once a day), as one `dbt build` (the DAG splits the same nodes over three dbt
commands, one per layer, each paying dbt's start-up). Both share one target folder, as the
DAG's runs do, so the second parses only what changed. The incremental run then runs again
at once with nothing new to read: the part of its cost that does not depend on what arrived.

Then each lever (LEVERS) is measured off: the same incremental run again, from a copy of the
warehouse and target folder as they were before it, with that one lever undone; and the run
with every lever on once more after them, since a later run of a session tends to be faster
(the levers' "on" is the mean of the first run and this one)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.scales import DBT_NEW_LATE_SHARE
from lakehouse import pipeline
from lakehouse.lake.object_store import duckdb_s3_options
from lakehouse.lake.tables import SILVER_EVENTS_TABLE, query_warehouse
from lakehouse.sandbox import use_environment
from lakehouse.settings import Settings
from lakehouse.streaming.spark_submit import run_job_logged
from lakehouse.warehouse.dbt import run_dbt
from lakehouse.warehouse.project import dbt_vars
from lakehouse.warehouse.reference_inputs import ReferencePlan

MAKE_BRONZE = Path(__file__).resolve().parent / "make_bronze.py"


@dataclass(frozen=True)
class DbtRun:
    """One dbt invocation: wall seconds, each model's and snapshot's own seconds, and the
    seconds of all data tests together (dbt runs several nodes at a time, so the parts add up to
    more than the wall time)."""

    seconds: float
    models: dict[str, float] = field(default_factory=dict)
    tests_seconds: float = 0.0
    load_average: float = 0.0
    # dbt's own run time (after start-up and parsing), from run_results.json.
    execution_seconds: float = 0.0
    # Models, snapshots and tests the invocation ran.
    nodes: int = 0


@dataclass(frozen=True)
class Lever:
    """Something the scheduled incremental run relies on to be cheap, and how to undo it."""

    name: str
    description: str
    dbt_vars: dict[str, str] = field(default_factory=dict)
    # Environment variables of the dbt process; an empty value stands for an empty folder.
    environment: dict[str, str] = field(default_factory=dict)
    # Applied to the artifacts folder (target/, logs/) before the run.
    prepare: Callable[[Path], None] | None = None
    # Off: the run builds the reference branch although its inputs are unchanged.
    builds_reference: bool = False


# The incremental run as configured, from the saved copy like the levers' runs.
EVERY_LEVER_ON = Lever("every lever on", "the incremental run as configured")


def _forget_partial_parse(artifacts: Path) -> None:
    (artifacts / "target" / "partial_parse.msgpack").unlink(missing_ok=True)


# Each measured off, one at a time (the incremental run measured first has them all on).
LEVERS = (
    Lever(
        "data tests on recent arrivals",
        "data tests read the rows that arrived in the last hour (var "
        "data_tests_arrivals_minutes); off: whole tables (the var changes, so dbt also "
        "re-parses the project: compare the data tests column)",
        dbt_vars={"data_tests_arrivals_minutes": "0"},
    ),
    Lever(
        "reference branch left out while unchanged",
        "the reference views, the users snapshot, the dimensions and the data tests that "
        "read only them are left out while the reference files and the dbt project are as "
        "the warehouse recorded at their last build (pipeline.reference_plan); off: built "
        "and tested in every run",
        builds_reference=True,
    ),
    Lever(
        "partial parse state kept",
        "target/partial_parse.msgpack from the previous run is kept, as a scheduler's "
        "runs keep their target folder; off: deleted, dbt parses the whole project",
        prepare=_forget_partial_parse,
    ),
    Lever(
        "Python bytecode cached",
        "dbt's modules load from compiled bytecode when the environment has it; off: "
        "PYTHONPYCACHEPREFIX at an empty folder, every module compiled from source",
        environment={"PYTHONPYCACHEPREFIX": "", "PYTHONDONTWRITEBYTECODE": "1"},
    ),
    Lever(
        "two dbt threads",
        "dbt runs two nodes at a time on DuckDB (profiles.yml threads), one per core; "
        "off: four, so dbt's own work per node overlaps the queries",
        environment={"DBT_THREADS": "4"},
    ),
)


@dataclass(frozen=True)
class DbtCostResult:
    """The full build and the incremental run over the same project and data."""

    events: int
    new_events: int
    silver_rows: int
    full: DbtRun
    incremental: DbtRun
    history_days: int
    new_late_share: float = DBT_NEW_LATE_SHARE
    # The incremental run again with one lever off, by lever name; and what each lever is.
    levers_off: dict[str, DbtRun] = field(default_factory=dict)
    lever_descriptions: dict[str, str] = field(default_factory=dict)
    # Whether dbt's modules had compiled bytecode to load (see LEVERS).
    bytecode_cached: bool = False
    # The incremental run once more after the levers, every lever on, from the same copy.
    incremental_again: DbtRun | None = None
    # The incremental run again at once, with nothing new to read: what dbt's start-up, the
    # run's nodes and their scans of the large tables cost whatever arrives.
    nothing_new: DbtRun | None = None
    # One dbt command that builds one view (the bronze staging view): what starting dbt on
    # this project costs before any of the scheduled build's work.
    one_view: DbtRun | None = None
    # The models and snapshot of the reference branch (dbt tag `reference`), which the
    # scheduled runs leave out while its inputs are unchanged.
    reference_models: list[str] = field(default_factory=list)

    @property
    def incremental_share(self) -> float:
        """Incremental run time as a share of the full build."""
        return self.incremental.seconds / self.full.seconds if self.full.seconds > 0 else 0.0


def append_bronze(
    settings: Settings,
    first_id: int,
    rows: int,
    log_path: Path,
    *,
    history_days: int,
    new: bool = False,
) -> None:
    """Append synthetic bronze rows with Spark (bench/make_bronze.py): the history, or
    (`new`) rows that arrive after it."""
    arguments = ["--first-id", str(first_id), "--rows", str(rows)]
    arguments += ["--history-days", str(history_days), *(["--new"] if new else [])]
    run_job_logged(settings, MAKE_BRONZE, arguments, log_path)


def timed_dbt_build(
    settings: Settings,
    artifacts: Path,
    *,
    full_refresh: bool,
    exclude: str | None = None,
    extra_vars: dict[str, str] | None = None,
    reference: bool = False,
    select: str | None = None,
) -> DbtRun:
    """`dbt build` as `lakehouse transform` runs it (models, the snapshot, tests), with any
    extra dbt vars; the per-node times come from dbt's run_results.json. With `reference`,
    the run decides as a scheduled run does whether to leave the reference branch out, and
    the decision is part of its time; a full build records the branch's inputs."""
    warehouse = settings.warehouse
    load_average = os.getloadavg()[0]
    started = time.monotonic()
    plan = ReferencePlan(fingerprint=None, current=False)
    if full_refresh or reference:
        plan = pipeline.reference_plan(settings)
    if full_refresh:
        # A full build builds the branch whatever the record says, and records it.
        plan = replace(plan, current=False)
    exclude, extra = plan.selection(exclude)
    command = ["build", *(["--select", select] if select else [])]
    command += [*(["--exclude", exclude] if exclude else []), *extra]
    command += ["--full-refresh"] if full_refresh else []
    run_dbt(
        command,
        project_dir=settings.path(warehouse.dbt_project_dir),
        duckdb_path=settings.path(warehouse.duckdb_path),
        extension_dir=settings.path(warehouse.duckdb_extension_dir),
        dbt_vars={**dbt_vars(settings), **(extra_vars or {})},
        target=warehouse.target,
        artifacts_dir=artifacts,
        s3_options=duckdb_s3_options(settings.s3),
    )
    pipeline.record_reference(settings, plan)
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
        nodes=len(results),
    )


def timed_scheduled_build(
    settings: Settings,
    artifacts: Path,
    extra_vars: dict[str, str] | None = None,
    *,
    reference: bool = True,
) -> DbtRun:
    """The incremental `dbt build` a scheduled run makes: every model but the daily ones, and
    their data tests, the reference branch left out while its inputs are unchanged (not with
    `reference` False)."""
    return timed_dbt_build(
        settings,
        artifacts,
        full_refresh=False,
        exclude=pipeline.SCHEDULED_RUN_EXCLUDES,
        extra_vars=extra_vars,
        reference=reference,
    )


def tagged_nodes(artifacts: Path, tag: str) -> list[str]:
    """Names of the models and snapshots with `tag`, from the last run's manifest.json."""
    manifest = json.loads((artifacts / "target" / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot") and tag in node.get("tags", [])
    )


def dbt_bytecode_cached() -> bool:
    """True when dbt's own modules have compiled bytecode beside them."""
    spec = importlib.util.find_spec("dbt.cli.main")
    if spec is None or spec.origin is None:
        return False
    return Path(importlib.util.cache_from_source(spec.origin)).is_file()


def incremental_with_lever_off(
    settings: Settings, lever: Lever, artifacts: Path, saved: Path
) -> DbtRun:
    """The incremental run from the saved warehouse and artifacts, with `lever` undone."""
    database = settings.path(settings.warehouse.duckdb_path)
    shutil.copyfile(saved / database.name, database)
    shutil.rmtree(artifacts)
    shutil.copytree(saved / "artifacts", artifacts)
    if lever.prepare is not None:
        lever.prepare(artifacts)
    with tempfile.TemporaryDirectory(prefix="lakehouse-bench-lever-") as empty:
        environment = {name: value or empty for name, value in lever.environment.items()}
        with use_environment(environment):
            return timed_scheduled_build(
                settings, artifacts, extra_vars=lever.dbt_vars, reference=not lever.builds_reference
            )


def measure_dbt_cost(
    settings: Settings,
    events: int,
    new_share: float,
    workdir: Path,
    *,
    history_days: int,
    levers: bool = True,
) -> DbtCostResult:
    """Bronze of `events` rows, full build; then `new_share` more rows, incremental run, and
    the incremental run again with nothing new; then, with `levers`, the incremental run
    again with each lever off."""
    catalog = pipeline.configured_catalog(settings)
    pipeline.write_reference(settings, catalog, as_of=datetime.now(UTC))
    log_path = workdir / "make_bronze.log"
    append_bronze(settings, 0, events, log_path, history_days=history_days)
    artifacts = workdir / "dbt"
    full = timed_dbt_build(
        settings, artifacts, full_refresh=True, exclude="resource_type:unit_test"
    )
    saved = workdir / "before-incremental"
    database = settings.path(settings.warehouse.duckdb_path)
    saved.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, saved / database.name)
    shutil.copytree(artifacts, saved / "artifacts")
    new_events = max(1, int(events * new_share))
    append_bronze(settings, events, new_events, log_path, new=True, history_days=history_days)
    incremental = timed_scheduled_build(settings, artifacts)
    _, rows = query_warehouse(settings, f"select count(*) from {SILVER_EVENTS_TABLE}")
    nothing_new = timed_scheduled_build(settings, artifacts)
    one_view = timed_dbt_build(
        settings,
        artifacts,
        full_refresh=False,
        select="stg_bronze__listening_events",
        exclude="resource_type:test resource_type:unit_test",
    )
    levers_off = {
        lever.name: incremental_with_lever_off(settings, lever, artifacts, saved)
        for lever in (LEVERS if levers else ())
    }
    incremental_again = (
        incremental_with_lever_off(settings, EVERY_LEVER_ON, artifacts, saved) if levers else None
    )
    return DbtCostResult(
        events=events,
        new_events=new_events,
        silver_rows=int(rows[0][0]),
        history_days=history_days,
        full=full,
        incremental=incremental,
        levers_off=levers_off,
        lever_descriptions={lever.name: lever.description for lever in LEVERS},
        bytecode_cached=dbt_bytecode_cached(),
        incremental_again=incremental_again,
        nothing_new=nothing_new,
        one_view=one_view,
        reference_models=tagged_nodes(artifacts, "reference"),
    )
