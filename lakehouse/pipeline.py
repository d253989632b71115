"""The pipeline's steps, each a function of the settings; the CLI and the tests call these."""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lakehouse.config import Settings
from lakehouse.kafka.broker import local_broker
from lakehouse.kafka.topics import count_messages, ensure_topics
from lakehouse.lake.object_store import duckdb_uri, is_s3, upload_directory
from lakehouse.lake.tables import (
    SILVER_EVENTS_TABLE,
    TableInfo,
    all_tables,
    delta_row_count,
    lake_connection,
    query_warehouse,
)
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
from lakehouse.warehouse.project import run_project

# The dbt models built on their own, less frequent schedule (the lakehouse_recommendations
# DAG) and left out of each transformation run: track_recommendations.
DAILY_MODELS = "tag:daily"
# What each scheduled transformation run leaves out: the daily models, and dbt's unit tests,
# which check the models' SQL on fixed inputs, not the data; CI runs them (tests/dbt).
SCHEDULED_RUN_EXCLUDES = f"{DAILY_MODELS} resource_type:unit_test"


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


def produce_summary(report: ProduceReport) -> str:
    """One line per topic and a total, for the console."""
    per_topic = ", ".join(
        f"{topic} {count:,}" for topic, count in report.delivered_by_topic.items()
    )
    return (
        f"Delivered {report.total_delivered:,} events ({per_topic}) "
        f"in {report.elapsed_seconds:.1f}s"
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
) -> None:
    """`dbt build` (or run/test) of silver and gold on the configured warehouse target."""
    command = [dbt_command]
    if select:
        command += ["--select", select]
    if exclude:
        command += ["--exclude", exclude]
    if full_refresh:
        command.append("--full-refresh")
    run_project(settings, command, artifacts_dir=artifacts_dir)


@dataclass
class DemoResult:
    """Counts of one demo run and whether they reconcile."""

    produced: int
    tables: list[TableInfo]
    distinct_event_ids: int
    checks: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        """True when every check's two sides are equal."""
        return all(left == right for _, left, right in self.checks)


def _rows(tables: list[TableInfo], layer: str, name: str | None = None) -> int:
    found = [t for t in tables if t.layer == layer and (name is None or t.name == name)]
    return sum(t.rows or 0 for t in found)


def reconcile(settings: Settings) -> DemoResult:
    """Count every layer and check: bronze == produced, silver == distinct event ids."""
    produced = count_messages(settings.kafka_bootstrap, settings.kafka.topics.values())
    tables = all_tables(settings)
    with lake_connection(settings) as connection:
        row = connection.execute(
            "select count(distinct event_id) from delta_scan(?)",
            [duckdb_uri(settings.bronze_events_location)],
        ).fetchone()
    distinct_ids = int(row[0]) if row else 0
    silver_name = SILVER_EVENTS_TABLE.split(".")[1]
    result = DemoResult(produced, tables, distinct_ids)
    result.checks = [
        ("bronze rows == events in Kafka", _rows(tables, "bronze"), produced),
        ("quarantine rows == 0", _rows(tables, "quarantine"), 0),
        ("silver rows == distinct event ids", _rows(tables, "silver", silver_name), distinct_ids),
    ]
    return result


def print_counts(result: DemoResult, console: Console) -> None:
    """The row count of every layer, then each check with its verdict."""
    counts = Table("layer", "table", "rows", title="Row counts")
    counts.add_row("kafka", "plays + skips + likes", f"{result.produced:,}")
    for table in result.tables:
        counts.add_row(table.layer, table.name, "-" if table.rows is None else f"{table.rows:,}")
    console.print(counts)
    checks = Table("check", "left", "right", "", title="Reconciliation")
    for name, left, right in result.checks:
        verdict = "[green]OK[/]" if left == right else "[bold red]MISMATCH[/]"
        checks.add_row(name, f"{left:,}", f"{right:,}", verdict)
    console.print(checks)


GOLD_SAMPLES = {
    "top tracks": (
        "select rank, track_title, artist_name, play_count, unique_listeners "
        "from gold.top_tracks order by rank"
    ),
    "top artists": (
        "select rank, artist_name, play_count, unique_listeners from gold.top_artists order by rank"
    ),
    "devices, latest day": (
        "select device, activity_date, plays, unique_listeners, "
        "round(100 * share_of_day_plays, 1) as pct_of_plays from gold.device_usage "
        "where activity_date = (select max(activity_date) from gold.device_usage) "
        "order by plays desc"
    ),
}


def print_gold_samples(settings: Settings, console: Console, limit: int = 5) -> None:
    """A few rows of the gold tables, so the demo shows results and not only counts."""
    for title, sql in GOLD_SAMPLES.items():
        columns, rows = query_warehouse(settings, f"{sql} limit {limit}")
        table = Table(*columns, title=f"gold: {title}")
        for row in rows:
            table.add_row(
                *(f"{value:,}" if isinstance(value, int) else str(value) for value in row)
            )
        console.print(table)


def _lake_rows(settings: Settings) -> int:
    """Rows in bronze and quarantine together."""
    with lake_connection(settings) as connection:
        locations = (settings.bronze_events_location, settings.quarantine_location)
        return sum(delta_row_count(connection, location) or 0 for location in locations)


def ingest_summary(records: int, seconds: float) -> str:
    """What the user waited for: records landed per second of the whole spark-submit run."""
    return (
        f"ingested {records:,} records into bronze + quarantine in {seconds:.1f} s: "
        f"{records / max(seconds, 1e-9):,.0f} records/s end to end (JVM start-up and table "
        "set-up included; the [ingest] lines above give each micro-batch's own rate)"
    )


def demo(settings: Settings, *, events: int, seed: int | None, console: Console) -> DemoResult:
    """up -> produce -> ingest (available-now) -> transform -> counts -> down."""
    broker = local_broker(settings)
    was_running = broker.pid() is not None
    try:
        console.rule("1/5 Kafka broker")
        _, bootstrap = start_broker(settings)
        console.print(f"bootstrap servers: {bootstrap}")
        console.rule(f"2/5 produce {events:,} events")
        report = produce(settings, events=events, rate=None, seed=seed, end=datetime.now(UTC))
        console.print(produce_summary(report))
        console.rule("3/5 ingest: spark-submit, available-now trigger")
        before = _lake_rows(settings)
        started = time.monotonic()
        ingest(settings, "available-now")
        console.print(ingest_summary(_lake_rows(settings) - before, time.monotonic() - started))
        console.rule("4/5 transform: dbt build")
        transform(settings)
        console.rule("5/5 counts")
        result = reconcile(settings)
        print_counts(result, console)
        print_gold_samples(settings, console)
        return result
    finally:
        if was_running:
            console.print("The broker was running before the demo: left running.")
        else:
            broker.stop()
            console.print("Kafka broker stopped.")
