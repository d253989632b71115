"""`lakehouse demo` and what the pipeline's steps print: summaries, counts, gold samples."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from lakehouse.kafka.broker import local_broker
from lakehouse.lake.tables import delta_row_count, lake_connection, query_warehouse
from lakehouse.monitoring.reconcile import LayerCounts, layer_counts
from lakehouse.pipeline import ingest, produce, start_broker, transform
from lakehouse.settings import Settings
from lakehouse.simulator import ProduceReport


def produce_summary(report: ProduceReport) -> str:
    """One line per topic and a total, for the console."""
    per_topic = ", ".join(
        f"{topic} {count:,}" for topic, count in report.delivered_by_topic.items()
    )
    return (
        f"Delivered {report.total_delivered:,} events ({per_topic}) "
        f"in {report.elapsed_seconds:.1f}s"
    )


def print_counts(result: LayerCounts, console: Console) -> None:
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


def run_demo(settings: Settings, *, events: int, seed: int | None, console: Console) -> LayerCounts:
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
        result = layer_counts(settings)
        print_counts(result, console)
        print_gold_samples(settings, console)
        return result
    finally:
        if was_running:
            console.print("The broker was running before the demo: left running.")
        else:
            broker.stop()
            console.print("Kafka broker stopped.")
