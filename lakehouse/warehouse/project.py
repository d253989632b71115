"""The warehouse side of the lake: dbt vars from the settings, and Snowflake's bronze tables.

Snowflake reads bronze from S3 through a table that `create_bronze` makes once and
`refresh_bronze` brings up to date after each ingest; the SQL is in the dbt project's macros
(dbt/macros/warehouse), so there is one copy of it and it can be checked as text. On the
duckdb target bronze is read in place with delta_scan and neither step has anything to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lakehouse.lake.object_store import duckdb_s3_options, duckdb_uri
from lakehouse.settings import Settings
from lakehouse.warehouse.dbt import run_dbt


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The vars the dbt project reads, for the configured target."""
    warehouse = settings.warehouse
    variables = {
        "bronze_events_path": duckdb_uri(settings.bronze_events_location),
        "reference_path": duckdb_uri(settings.reference_location),
        "lookback_minutes": str(warehouse.lookback_minutes),
        "data_tests_arrivals_minutes": str(warehouse.data_tests_arrivals_minutes),
        # The bronze source's freshness thresholds (dbt/models/staging/_staging.yml).
        "freshness_warn_minutes": str(settings.status.freshness_warn_minutes),
        "freshness_error_minutes": str(settings.quality.freshness_minutes),
    }
    if warehouse.target == "snowflake":
        snowflake = warehouse.snowflake
        variables |= {
            "snowflake_database": snowflake.database,
            "snowflake_bronze_schema": snowflake.schemas.bronze,
            "staging_schema": snowflake.schemas.staging,
            "silver_schema": snowflake.schemas.silver,
            "gold_schema": snowflake.schemas.gold,
            "snowflake_stage": snowflake.stage,
            "snowflake_external_volume": snowflake.external_volume,
            "snowflake_catalog_integration": snowflake.catalog_integration,
            "snowflake_external_table": snowflake.external_table,
            "snowflake_iceberg_table": snowflake.iceberg_table,
            "snowflake_auto_refresh": str(snowflake.auto_refresh).lower(),
            "bronze_read": snowflake.bronze_read,
            # Relative to the stage and the external volume, which both sit on the lake root.
            "bronze_events_table": settings.lake.bronze_events_table.strip("/"),
            "reference_dir": settings.lake.reference_dir.strip("/"),
        }
    return variables


def run_project(
    settings: Settings,
    command: list[str],
    artifacts_dir: Path | None = None,
    more_vars: dict[str, str] | None = None,
) -> None:
    """Run `dbt <command>` on the configured target with the settings' vars (and more_vars)."""
    warehouse = settings.warehouse
    database = settings.path(warehouse.duckdb_path)
    run_dbt(
        command,
        project_dir=settings.path(warehouse.dbt_project_dir),
        duckdb_path=database,
        extension_dir=settings.path(warehouse.duckdb_extension_dir),
        dbt_vars=dbt_vars(settings) | (more_vars or {}),
        target=warehouse.target,
        artifacts_dir=artifacts_dir,
        s3_options=duckdb_s3_options(settings.s3),
    )


def _bronze_operation(
    settings: Settings, macro: str, dry_run: bool, say: Callable[[str], None]
) -> None:
    if settings.warehouse.target != "snowflake":
        say(
            f"warehouse target is {settings.warehouse.target}: it reads bronze in place "
            "(delta_scan), so there is nothing to do."
        )
        return
    command = ["run-operation", macro]
    if dry_run:
        command += ["--args", '{"dry_run": true}']
    run_project(settings, command)


def create_bronze(
    settings: Settings, dry_run: bool = False, say: Callable[[str], None] = print
) -> None:
    """One-time DDL: the Snowflake table over bronze that warehouse.snowflake.bronze_read names."""
    _bronze_operation(settings, "create_bronze", dry_run, say)


def refresh_bronze(
    settings: Settings, dry_run: bool = False, say: Callable[[str], None] = print
) -> None:
    """Bring Snowflake's bronze table up to date with the lake (after each ingest)."""
    _bronze_operation(settings, "refresh_bronze", dry_run, say)
