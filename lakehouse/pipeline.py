"""The pipeline's steps, each a function of the settings; the CLI and the tests call these."""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from lakehouse.kafka.broker import local_broker
from lakehouse.kafka.topics import ensure_topics
from lakehouse.lake.object_store import is_s3, upload_directory
from lakehouse.settings import Settings
from lakehouse.simulator import (
    Catalog,
    ProduceReport,
    build_catalog,
    generate_events,
    produce_events,
    write_reference_data,
)
from lakehouse.simulator.profiles import profiles_as_of
from lakehouse.streaming.spark_submit import spark_environment, spark_submit_command
from lakehouse.warehouse.project import dbt_vars, run_project
from lakehouse.warehouse.reference_inputs import ReferencePlan, plan_reference

# The dbt models built on their own, less frequent schedule (the lakehouse_recommendations
# DAG) and left out of each transformation run: track_recommendations.
DAILY_MODELS = "tag:daily"
# What each scheduled transformation run leaves out: the daily models, and dbt's unit tests,
# which check the models' SQL on fixed inputs, not the data; CI runs them (tests/dbt).
SCHEDULED_RUN_EXCLUDES = f"{DAILY_MODELS} resource_type:unit_test"


def reference_plan(settings: Settings) -> ReferencePlan:
    """Whether this scheduled run may leave the reference branch out: the fingerprint of the
    reference files and the dbt project now, and whether the warehouse recorded the same at
    its last build of the branch (lakehouse/warehouse/reference_inputs.py)."""
    warehouse = settings.warehouse
    if warehouse.target != "duckdb":
        return ReferencePlan(fingerprint=None, current=False)
    return plan_reference(
        settings.reference_location,
        settings.path(warehouse.dbt_project_dir),
        warehouse.target,
        dbt_vars(settings),
        database=settings.path(warehouse.duckdb_path),
        s3=settings.s3,
    )


def record_reference(settings: Settings, plan: ReferencePlan) -> None:
    """After a run that built the reference branch and passed its tests: record its inputs."""
    plan.record(settings.path(settings.warehouse.duckdb_path))


class PipelineError(Exception):
    """A pipeline step failed; the message says which and what to look at."""


def start_broker(settings: Settings) -> tuple[bool, str]:
    """Start the local broker (if not running) and create the topics; (started?, bootstrap)."""
    started = local_broker(settings).start()
    ensure_topics(
        settings.kafka_bootstrap, settings.kafka.topics.values(), settings.kafka.partitions
    )
    return started, settings.kafka_bootstrap


def configured_catalog(settings: Settings) -> Catalog:
    """The simulator's reference data (users, artists, tracks) as the settings size it."""
    simulator = settings.simulator
    return build_catalog(
        seed=simulator.catalog_seed,
        users=simulator.users,
        artists=simulator.artists,
        tracks=simulator.tracks,
    )


def write_reference(settings: Settings, catalog: Catalog, as_of: datetime) -> None:
    """Write the reference Parquet files to lake.reference_dir, local or on S3; users carry
    their profiles as of `as_of`, so each later run sees the changes made since (SCD2 input)."""
    profiles = profiles_as_of(catalog.users, catalog.seed, as_of)
    location = settings.reference_location
    if not is_s3(location):
        write_reference_data(catalog, Path(location), users=profiles)
        return
    with tempfile.TemporaryDirectory(prefix="lakehouse-reference-") as staging:
        write_reference_data(catalog, Path(staging), users=profiles)
        upload_directory(Path(staging), location, settings.s3)


def produce(
    settings: Settings, *, events: int, rate: float | None, seed: int | None, end: datetime
) -> ProduceReport:
    """Write the reference data, then simulate `events` listening events into Kafka."""
    simulator = settings.simulator
    catalog = configured_catalog(settings)
    write_reference(settings, catalog, as_of=end)
    ensure_topics(
        settings.kafka_bootstrap, settings.kafka.topics.values(), settings.kafka.partitions
    )
    chosen_seed = seed if seed is not None else simulator.seed
    if chosen_seed is None:
        chosen_seed = random.SystemRandom().randrange(2**31)
    print(f"Simulating {events:,} events with --seed {chosen_seed} --end {end.isoformat()}")
    stream = generate_events(
        catalog, count=events, seed=chosen_seed, end=end, window_hours=simulator.window_hours
    )
    return produce_events(
        stream,
        bootstrap_servers=settings.kafka_bootstrap,
        topics=settings.event_topics,
        rate=rate,
        progress=True,
        total=events,
    )


def run_spark_submit(settings: Settings, command: list[str]) -> None:
    """Run a spark-submit command with Spark's environment; raise if it fails."""
    environment = {**os.environ, **spark_environment(settings)}
    code = subprocess.run(command, env=environment, check=False).returncode
    if code != 0:
        raise PipelineError(
            f"the Spark job failed (spark-submit exit code {code}); its output is above. "
            f"Re-run it alone with `lakehouse --env {settings.env} ingest`."
        )


def ingest(settings: Settings, trigger: str | None = None) -> None:
    """Run the bronze job through spark-submit until its trigger stops it."""
    job_args = ["--trigger", trigger] if trigger else []
    run_spark_submit(settings, spark_submit_command(settings, job_args=job_args))


def transform(
    settings: Settings,
    select: str | None = None,
    full_refresh: bool = False,
    *,
    dbt_command: str = "build",
    artifacts_dir: Path | None = None,
    exclude: str | None = None,
    reference: ReferencePlan | None = None,
) -> None:
    """`dbt build` (or run/test) of silver and gold on the configured warehouse target; a
    scheduled run's `reference` plan may leave the reference branch out (reference_plan)."""
    command = [dbt_command]
    extra: list[str] = []
    if reference is not None:
        exclude, extra = reference.selection(exclude)
    if select:
        command += ["--select", select]
    if exclude:
        command += ["--exclude", exclude]
    command += extra
    if full_refresh:
        command.append("--full-refresh")
    run_project(settings, command, artifacts_dir=artifacts_dir)
