"""`lakehouse`: run the local stack and the pipeline's steps from one command."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.cli.airflow import app as airflow_app
from lakehouse.cli.context import settings_of
from lakehouse.cli.warehouse import app as warehouse_app

# Each command imports the modules it runs (the settings models, pipeline, Kafka, DuckDB,
# the reports) when it runs, so `lakehouse --help` starts without loading any of them.

app = typer.Typer(
    help="Kafka -> Spark Structured Streaming -> Delta bronze -> dbt silver/gold, locally "
    "or in the cloud. Settings come from conf/base.yaml + conf/<env>.yaml.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(airflow_app, name="airflow")
console = Console()
errors = Console(stderr=True)
app.add_typer(warehouse_app, name="warehouse")


def known_errors() -> tuple[type[Exception], ...]:
    """The errors a command reports as one line (no traceback), the command's modules loaded."""
    from lakehouse import pipeline  # noqa: PLC0415
    from lakehouse.config import ConfigError  # noqa: PLC0415
    from lakehouse.kafka.broker import BrokerError  # noqa: PLC0415
    from lakehouse.kafka.topics import SimulatorKafkaError  # noqa: PLC0415
    from lakehouse.streaming.spark_submit import SparkSubmitError  # noqa: PLC0415
    from lakehouse.warehouse.dbt import DbtCommandError  # noqa: PLC0415

    return (
        ConfigError,
        BrokerError,
        SparkSubmitError,
        DbtCommandError,
        SimulatorKafkaError,
        pipeline.PipelineError,
    )


def _fail(error: Exception, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {error}", highlight=False)
    return typer.Exit(code)


@app.callback()
def main(
    context: typer.Context,
    env: Annotated[
        str | None,
        typer.Option(help="Environment (conf/<env>.yaml); default: $LAKEHOUSE_ENV or local."),
    ] = None,
) -> None:
    """Load the settings once for every command."""
    from lakehouse.config import ConfigError, load_settings  # noqa: PLC0415

    try:
        context.obj = load_settings(env)
    except ConfigError as error:
        raise _fail(error, code=2) from None


@app.command()
def up(context: typer.Context) -> None:
    """Start the local Kafka broker (KRaft) and create the event topics."""
    from lakehouse import pipeline  # noqa: PLC0415

    settings = settings_of(context)
    try:
        started, bootstrap = pipeline.start_broker(settings)
    except known_errors() as error:
        raise _fail(error) from None
    state = "started" if started else "already running"
    console.print(f"Kafka broker {state}: bootstrap servers [bold]{bootstrap}[/]")


@app.command()
def down(context: typer.Context) -> None:
    """Stop the local Kafka broker (its data stays under the state folder)."""
    from lakehouse.kafka.broker import local_broker  # noqa: PLC0415

    stopped = local_broker(settings_of(context)).stop()
    console.print("Kafka broker stopped." if stopped else "Kafka broker was not running.")


@app.command()
def produce(
    context: typer.Context,
    events: Annotated[int, typer.Option(min=1, help="How many events to send.")] = 100_000,
    rate: Annotated[
        float | None, typer.Option(min=1, help="Events per second (default: as fast as possible).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same seed and --end give the same events.")
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(help="Latest event time (UTC); events spread over the window before it."),
    ] = None,
) -> None:
    """Simulate listening events (plays, skips, likes) and send them to Kafka."""
    from lakehouse import pipeline  # noqa: PLC0415
    from lakehouse.cli.demo import produce_summary  # noqa: PLC0415

    settings = settings_of(context)
    if end is None:
        end_at = datetime.now(UTC)
    else:
        end_at = end.astimezone(UTC) if end.tzinfo else end.replace(tzinfo=UTC)
    try:
        report = pipeline.produce(settings, events=events, rate=rate, seed=seed, end=end_at)
    except known_errors() as error:
        raise _fail(error) from None
    console.print(produce_summary(report))


@app.command()
def ingest(
    context: typer.Context,
    trigger: Annotated[
        str | None,
        typer.Option(
            help="available-now (drain, then stop) or continuous; default: ingest.trigger."
        ),
    ] = None,
    print_command: Annotated[
        bool, typer.Option("--print-command", help="Print the spark-submit line and exit.")
    ] = False,
) -> None:
    """Run the bronze streaming job with spark-submit (Kafka -> Delta bronze + quarantine)."""
    from lakehouse import pipeline  # noqa: PLC0415
    from lakehouse.streaming.spark_submit import printable, spark_submit_command  # noqa: PLC0415

    settings = settings_of(context)
    if trigger not in (None, "available-now", "continuous"):
        raise _fail(ValueError(f"--trigger {trigger}: use available-now or continuous"), 2)
    try:
        command = spark_submit_command(settings, job_args=["--trigger", trigger] if trigger else [])
    except known_errors() as error:
        raise _fail(error) from None
    if print_command:
        console.print(printable(command), highlight=False, soft_wrap=True)
        return
    try:
        pipeline.run_spark_submit(settings, command)
    except known_errors() as error:
        raise _fail(error) from None


@app.command()
def transform(
    context: typer.Context,
    select: Annotated[
        str | None, typer.Option(help="dbt node selection, e.g. +top_tracks.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
) -> None:
    """Build silver and gold with dbt (`dbt build`: models and their tests)."""
    from lakehouse import pipeline  # noqa: PLC0415

    settings = settings_of(context)
    try:
        pipeline.transform(settings, select=select, full_refresh=full_refresh)
    except known_errors() as error:
        raise _fail(error) from None


@app.command()
def status(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The operator's view: services, tables (rows, freshness), Kafka lag and retention
    headroom per partition, the streaming queries' last batch, quarantine, and a verdict.

    Exits 1 when the verdict is FAIL (OK and WARN exit 0).
    """
    from lakehouse.cli.status_view import print_status  # noqa: PLC0415
    from lakehouse.monitoring.findings import FAIL  # noqa: PLC0415
    from lakehouse.monitoring.status import status_report  # noqa: PLC0415

    settings = settings_of(context)
    try:
        report = status_report(settings)
    except known_errors() as error:
        raise _fail(error) from None
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print_status(report, console)
    if report["verdict"]["level"] == FAIL:
        raise typer.Exit(1)


@app.command()
def dashboard(
    context: typer.Context,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: dashboard.port).")
    ] = None,
) -> None:
    """Start the Streamlit dashboard: now playing, top tracks and artists, daily listening,
    device mix, pipeline health. Ctrl-C stops it."""
    from lakehouse.dashboard import (  # noqa: PLC0415
        DashboardError,
        dashboard_address,
        streamlit_command,
    )

    settings = settings_of(context)
    try:
        host, chosen = dashboard_address(settings, port)
    except DashboardError as error:
        raise _fail(error) from None
    console.print(f"Dashboard on [bold]http://{host}:{chosen}[/] (Ctrl-C stops it)")
    # The app loads the settings itself: give it this command's environment.
    environment = {**os.environ, "LAKEHOUSE_ENV": settings.env}
    try:
        code = subprocess.run(
            streamlit_command(host, chosen), env=environment, check=False
        ).returncode
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


@app.command()
def demo(
    context: typer.Context,
    events: Annotated[int, typer.Option(min=1, help="How many events to produce.")] = 100_000,
    seed: Annotated[int | None, typer.Option(help="Random seed of the simulator.")] = None,
) -> None:
    """The whole pipeline: up, produce, ingest (available-now), transform, counts, down."""
    from lakehouse.cli.demo import run_demo  # noqa: PLC0415

    settings = settings_of(context)
    try:
        result = run_demo(settings, events=events, seed=seed, console=console)
    except known_errors() as error:
        raise _fail(error) from None
    if not result.reconciled:
        raise _fail(RuntimeError("counts do not reconcile (see the table above)"))


@app.command()
def check(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    accept_recorded_loss: Annotated[
        bool,
        typer.Option(help="Exit 0 when the only problems are losses already recorded."),
    ] = False,
) -> None:
    """Reconcile Kafka offsets, checkpoints, bronze and quarantine per topic-partition."""
    from lakehouse.cli.check_view import run_check  # noqa: PLC0415

    settings = settings_of(context)
    try:
        code = run_check(
            settings, as_json=as_json, accept_recorded_loss=accept_recorded_loss, console=console
        )
    except known_errors() as error:
        raise _fail(error) from None
    raise typer.Exit(code)


@app.command("replay-quarantine")
def replay_quarantine_command(
    context: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would move, change nothing.")
    ] = False,
) -> None:
    """Re-parse quarantined records with today's parser; move those that pass to bronze."""
    from lakehouse.streaming.replay import replay_quarantine  # noqa: PLC0415

    try:
        replay_quarantine(settings_of(context), dry_run=dry_run)
    except known_errors() as error:
        raise _fail(error) from None


@app.command()
def reliability(
    scale: Annotated[
        str, typer.Option(help="reduced (minutes) or full (the report's run).")
    ] = "full",
    output: Annotated[
        Path | None, typer.Option(help="Write the markdown report here (e.g. docs/RELIABILITY.md).")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Where the drills' stacks live (default: a temp folder).")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these drills (crash, broker, ...).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the drills' randomness.")] = 20261123,
) -> None:
    """Fault drills (kill -9, broker restarts, a second writer, duplicates) and their report."""
    from lakehouse.reliability import report, scenarios  # noqa: PLC0415

    if scale not in scenarios.SCALES:
        raise _fail(ValueError(f"--scale {scale}: use one of {sorted(scenarios.SCALES)}"), 2)
    chosen = scenarios.SCALES[scale]
    with tempfile.TemporaryDirectory(prefix="lakehouse-drills-") as temporary:
        folder = workdir or Path(temporary)
        results = scenarios.run_all(folder, chosen, seed, console, only)
    if output is not None:
        report.write(output, results, chosen, seed)
        console.print(f"report written to {output}")
    if not all(result.passed for result in results):
        raise _fail(RuntimeError("a drill failed (see above)"))


if __name__ == "__main__":
    app()
