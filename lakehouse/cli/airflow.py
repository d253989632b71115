"""`lakehouse airflow ...`: run Airflow (its own environment) on this project's DAGs."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.cli.context import settings_of

app = typer.Typer(
    help="Airflow on this project's DAGs (airflow/dags), from .lakehouse/airflow-venv.",
    no_args_is_help=True,
)
console = Console()


def _airflow(context: typer.Context, arguments: list[str]) -> None:
    from lakehouse.orchestration.operators import AIRFLOW_VENV, airflow_environment  # noqa: PLC0415

    executable = AIRFLOW_VENV / "bin" / "airflow"
    if not executable.exists():
        console.print(f"[red]no Airflow at {executable}[/]: run scripts/setup.sh (make setup)")
        raise typer.Exit(2)
    environment = {**os.environ, **airflow_environment(settings_of(context))}
    # `airflow standalone` starts its components as `airflow ...` found on PATH.
    environment["PATH"] = f"{executable.parent}{os.pathsep}{environment.get('PATH', '')}"
    # Migrating is idempotent and quick when nothing changed; a fresh home needs it.
    subprocess.run([str(executable), "db", "migrate"], env=environment, check=True)
    code = subprocess.run([str(executable), *arguments], env=environment, check=False).returncode
    raise typer.Exit(code)


@app.command()
def env(context: typer.Context) -> None:
    """Print the exports that point an `airflow` command at this project."""
    from lakehouse.orchestration.operators import airflow_environment  # noqa: PLC0415

    for name, value in airflow_environment(settings_of(context)).items():
        print(f"export {name}={shlex.quote(value)}")


@app.command()
def standalone(context: typer.Context) -> None:
    """Start Airflow (API server with the UI on :8080, scheduler, DAG processor, triggerer)."""
    _airflow(context, ["standalone"])


@app.command("dags-test")
def dags_test(
    context: typer.Context,
    dag_id: Annotated[str, typer.Argument(help="e.g. lakehouse_ingestion")],
    logical_date: Annotated[
        str | None, typer.Argument(help="ISO date-time of the run (default: now)")
    ] = None,
) -> None:
    """Run one DAG once, in this process, without a scheduler (`airflow dags test`)."""
    _airflow(context, ["dags", "test", dag_id, *([logical_date] if logical_date else [])])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def cli(context: typer.Context) -> None:
    """Any `airflow` command with this project's settings (e.g. `dags list-import-errors`)."""
    _airflow(context, list(context.args))


@app.command("package-emr")
def package_emr(
    context: typer.Context,
    output: Annotated[Path, typer.Option(help="Folder to write the package to.")] = Path(
        "dist/emr"
    ),
) -> None:
    """Build what the EMR job runs: code, conf, packed environment, jars, manifest."""
    from lakehouse.orchestration.emr_package import EmrPackageError, build_emr_package  # noqa: PLC0415

    settings = settings_of(context)
    try:
        package = build_emr_package(settings, output)
    except EmrPackageError as error:
        console.print(f"[red]package-emr: {error}[/]")
        raise typer.Exit(2) from error
    console.print(f"wrote {package.code} (for emr.code_uri) and {package.jars} (emr.jars_uri)")
    console.print(f"manifest with checksums: {package.manifest}")
    if settings.emr.code_uri and settings.emr.jars_uri:
        console.print("upload:")
        for command in package.upload_commands(settings):
            print(command)
    else:
        console.print(f"set emr.code_uri and emr.jars_uri in conf/{settings.env}.yaml to upload")
