"""`lakehouse warehouse ...`: the Snowflake bronze tables (a sub-app of `lakehouse`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.config import Settings
from lakehouse.warehouse import project
from lakehouse.warehouse.dbt import DbtCommandError

app = typer.Typer(
    help="The warehouse's view of bronze: create (once) and refresh Snowflake's bronze table.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the Snowflake statements, run nothing.")
]


def _settings(context: typer.Context) -> Settings:
    # The parent app's callback loads the settings (--env) into the root context.
    settings = context.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _run(step: Callable[..., None], context: typer.Context, dry_run: bool) -> None:
    try:
        step(_settings(context), dry_run=dry_run, say=console.print)
    except DbtCommandError as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def setup(context: typer.Context, dry_run: DryRun = False) -> None:
    """Create Snowflake's bronze table over the lake (external table or Iceberg, per config)."""
    _run(project.create_bronze, context, dry_run)


@app.command("refresh-bronze")
def refresh_bronze(context: typer.Context, dry_run: DryRun = False) -> None:
    """Refresh Snowflake's bronze table so it sees the files the last ingest wrote."""
    _run(project.refresh_bronze, context, dry_run)
