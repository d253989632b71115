"""`lakehouse warehouse ...`: the Snowflake bronze tables (a sub-app of `lakehouse`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.cli.context import settings_of

app = typer.Typer(
    help="The warehouse's view of bronze: create (once) and refresh Snowflake's bronze table.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the Snowflake statements, run nothing.")
]


def _run(step: Callable[..., None], context: typer.Context, dry_run: bool) -> None:
    # Imported when a command runs: dbt's module loads DuckDB, which `lakehouse --help` skips.
    from lakehouse.warehouse.dbt import DbtCommandError  # noqa: PLC0415

    try:
        step(settings_of(context), dry_run=dry_run, say=console.print)
    except DbtCommandError as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def setup(context: typer.Context, dry_run: DryRun = False) -> None:
    """Create Snowflake's bronze table over the lake (external table or Iceberg, per config)."""
    from lakehouse.warehouse import project  # noqa: PLC0415

    _run(project.create_bronze, context, dry_run)


@app.command("refresh-bronze")
def refresh_bronze(context: typer.Context, dry_run: DryRun = False) -> None:
    """Refresh Snowflake's bronze table so it sees the files the last ingest wrote."""
    from lakehouse.warehouse import project  # noqa: PLC0415

    _run(project.refresh_bronze, context, dry_run)
