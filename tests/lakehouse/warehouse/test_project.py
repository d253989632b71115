"""lakehouse.warehouse.project: the vars dbt gets per target; `lakehouse warehouse` on duckdb."""

from __future__ import annotations

from typer.testing import CliRunner

from lakehouse.cli.main import app
from lakehouse.config import load_settings
from lakehouse.warehouse.project import dbt_vars, refresh_bronze


def test_duckdb_target_gets_only_the_lake_paths_the_arrival_windows_and_freshness() -> None:
    settings = load_settings("local", environ={})

    assert dbt_vars(settings) == {
        "bronze_events_path": settings.bronze_events_location,
        "reference_path": settings.reference_location,
        "lookback_minutes": "5",
        "data_tests_arrivals_minutes": "60",
        # status.freshness_warn_minutes and quality.freshness_minutes of conf/base.yaml.
        "freshness_warn_minutes": "30",
        "freshness_error_minutes": "120",
    }


def test_snowflake_target_gets_the_agreed_object_names() -> None:
    settings = load_settings("prod", environ={})

    variables = dbt_vars(settings)

    assert {key: variables[key] for key in variables if key.startswith("snowflake_")} == {
        "snowflake_database": "LAKEHOUSE",
        "snowflake_bronze_schema": "BRONZE",
        "snowflake_stage": "LAKEHOUSE.BRONZE.LAKE_STAGE",
        "snowflake_external_volume": "LAKEHOUSE_LAKE_VOLUME",
        "snowflake_catalog_integration": "LAKEHOUSE_DELTA_CATALOG",
        "snowflake_external_table": "LISTENING_EVENTS_EXTERNAL",
        "snowflake_iceberg_table": "LISTENING_EVENTS_ICEBERG",
        "snowflake_auto_refresh": "false",
    }
    assert (variables["bronze_read"], variables["bronze_events_table"]) == (
        "iceberg",
        "bronze/listening_events",
    )
    assert [variables[f"{layer}_schema"] for layer in ("staging", "silver", "gold")] == [
        "STAGING",
        "SILVER",
        "GOLD",
    ]


def test_refresh_on_duckdb_does_nothing_and_says_so() -> None:
    said: list[str] = []

    refresh_bronze(load_settings("local", environ={}), say=said.append)

    assert said == [
        "warehouse target is duckdb: it reads bronze in place (delta_scan), so there is "
        "nothing to do."
    ]


def test_cli_warehouse_refresh_bronze_on_local() -> None:
    result = CliRunner().invoke(app, ["--env", "local", "warehouse", "refresh-bronze"])

    assert result.exit_code == 0
    assert "nothing to do" in result.output
