"""The same dbt project on a local Snowflake emulator, and the Snowflake SQL it cannot run.

fakesnow runs dbt-snowflake's first build of every model and snapshot. It rejects the
temporary relations of incremental re-runs, snapshot updates and unit tests, and it has no
external tables, Iceberg tables or catalog integrations: for those the tests check the SQL
text the project generates for Snowflake.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakehouse.config import load_settings
from lakehouse.settings import Settings
from lakehouse.warehouse.dbt import DbtCommandError, run_dbt
from lakehouse.warehouse.project import dbt_vars
from tests.dbt.snowflake_emulator import (
    EMULATOR_PORT_VARIABLE,
    connect,
    create_table,
    running_emulator,
)
from tests.dbt.test_dbt_build import BRONZE_EVENTS, REFERENCE_QUERIES
from transformations.bronze import BRONZE_COLUMNS

BRONZE_TYPES = {
    "event_at": "timestamp_ltz",
    "kafka_timestamp": "timestamp_ltz",
    "ingested_at": "timestamp_ltz",
    "track_duration_ms": "bigint",
    "ms_played": "bigint",
    "kafka_offset": "bigint",
    "schema_version": "integer",
    "kafka_partition": "integer",
    "event_hour": "integer",
    "event_date": "date",
}
EMULATOR_TARGET = "snowflake_emulator"


def snowflake_settings(bronze_read: str = "iceberg") -> Settings:
    """The shipped settings with the snowflake target and the given bronze read path."""
    return load_settings(
        "local",
        environ={
            "LAKEHOUSE__WAREHOUSE__TARGET": "snowflake",
            "LAKEHOUSE__WAREHOUSE__SNOWFLAKE__BRONZE_READ": bronze_read,
        },
    )


def reference_rows(name: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """Columns (name, type) and rows of one reference table of the DuckDB tests."""
    with duckdb.connect() as connection:
        result = connection.execute(REFERENCE_QUERIES[name])
        columns = [(column[0], str(column[1])) for column in result.description or []]
        return columns, result.fetchall()


def fill_emulator(port: int, settings: Settings) -> None:
    """Bronze as the table `lakehouse warehouse setup` would make, and the reference tables."""
    snowflake = settings.warehouse.snowflake
    database = snowflake.database
    bronze_table = f"{database}.{snowflake.schemas.bronze}.{snowflake.iceberg_table}"
    connection = connect(port)
    try:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {database}")
        cursor.execute(f"create schema if not exists {database}.{snowflake.schemas.bronze}")
        columns = [(name, BRONZE_TYPES.get(name, "varchar")) for name in BRONZE_COLUMNS]
        rows = [tuple(event[name] for name in BRONZE_COLUMNS) for event in BRONZE_EVENTS]
        create_table(connection, bronze_table, columns, rows)
        for name in REFERENCE_QUERIES:
            reference_columns, reference_data = reference_rows(name)
            create_table(
                connection,
                f"{database}.{snowflake.schemas.bronze}.reference_{name}",
                reference_columns,
                reference_data,
            )
    finally:
        connection.close()


def emulator_dbt(
    command: list[str],
    settings: Settings,
    artifacts: Path,
    port: int,
    more_vars: dict[str, str] | None = None,
) -> None:
    """Run dbt against the emulator with the vars the settings give the snowflake target."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(EMULATOR_PORT_VARIABLE, str(port))
        run_dbt(
            command,
            project_dir=settings.path(settings.warehouse.dbt_project_dir),
            duckdb_path=artifacts / "unused.duckdb",
            extension_dir=artifacts / "unused-extensions",
            dbt_vars=dbt_vars(settings) | (more_vars or {}),
            target=EMULATOR_TARGET,
            artifacts_dir=artifacts,
        )


@pytest.fixture(scope="module")
def emulator_port() -> Iterator[int]:
    """A fresh emulator for this module."""
    with running_emulator() as port:
        yield port


@pytest.fixture(scope="module")
def built_on_emulator(emulator_port: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt build` (without unit tests, which need temporary tables) on the emulator."""
    settings = snowflake_settings()
    fill_emulator(emulator_port, settings)
    artifacts = tmp_path_factory.mktemp("emulator-dbt")
    emulator_dbt(
        ["build", "--exclude", "resource_type:unit_test"], settings, artifacts, emulator_port
    )
    return artifacts


def query(port: int, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the emulator."""
    connection = connect(port)
    try:
        return [tuple(row) for row in connection.cursor().execute(sql).fetchall()]
    finally:
        connection.close()


def test_every_model_snapshot_and_data_test_passes_on_the_emulator(
    built_on_emulator: Path,
) -> None:
    results = json.loads((built_on_emulator / "target" / "run_results.json").read_text())
    statuses = {result["unique_id"]: result["status"] for result in results["results"]}

    assert {status for status in statuses.values()} <= {"success", "pass"}
    built = {unique_id.split(".")[-1] for unique_id in statuses if unique_id.startswith("model.")}
    assert built >= {
        "int_listening_events_deduplicated",
        "top_tracks",
        "top_artists",
        "daily_user_stats",
        "device_usage",
        "fct_listens",
        "dim_users",
        "dim_tracks",
        "dim_artists",
        "dim_date",
        "track_recommendations",
    }
    assert "snapshot.lakehouse.users_snapshot" in statuses


def test_gold_on_the_emulator_equals_gold_on_duckdb(
    built_on_emulator: Path, emulator_port: int
) -> None:
    # The same rows as tests/dbt/test_dbt_build.py expects from DuckDB.
    assert query(emulator_port, "select * from lakehouse.gold.top_tracks order by rank") == [
        ("t1", "Slow Morning", "a1", "The Quiet Hours", 2, 2, 350_000, 0, 1, 1),
        ("t3", "Aurora", "a2", "Nordlys", 2, 2, 340_000, 0, 0, 2),
        ("t2", "Late Train", "a1", "The Quiet Hours", 1, 1, 210_000, 1, 0, 3),
    ]
    assert query(
        emulator_port, "select * from lakehouse.gold.daily_user_stats order by user_id"
    ) == [
        ("u1", dt.date(2024, 5, 1), 1, 1, 0, 230_000, 2, 1),
        ("u2", dt.date(2024, 5, 1), 2, 0, 1, 390_000, 2, 1),
        ("u3", dt.date(2024, 5, 2), 2, 0, 0, 280_000, 2, 1),
    ]
    assert query(
        emulator_port,
        "select event_id, user_id, date_day from lakehouse.gold.fct_listens order by event_id",
    ) == [
        ("e1", "u1", dt.date(2024, 5, 1)),
        ("e2", "u1", dt.date(2024, 5, 1)),
        ("e3", "u2", dt.date(2024, 5, 1)),
        ("e4", "u2", dt.date(2024, 5, 1)),
        ("e5", "u2", dt.date(2024, 5, 1)),
        ("e6", "u3", dt.date(2024, 5, 2)),
        ("e7", "u3", dt.date(2024, 5, 2)),
    ]
    assert query(
        emulator_port,
        "select date_day, iso_day_of_week from lakehouse.gold.dim_date order by date_day",
    ) == [(dt.date(2024, 5, 1), 3), (dt.date(2024, 5, 2), 4)]


# The incremental models and their folders; each merges on its unique_key on Snowflake.
INCREMENTAL_MODELS = {
    "int_listening_events_deduplicated": "intermediate",
    "int_user_days_aggregated": "intermediate",
    "int_device_user_days_aggregated": "intermediate",
    "int_track_days_aggregated": "intermediate",
    "int_track_listeners_aggregated": "intermediate",
    "int_artist_listeners_aggregated": "intermediate",
    "fct_listens": "marts",
}


def test_incremental_runs_compile_for_snowflake_with_a_constant_arrival_bound(
    built_on_emulator: Path, emulator_port: int, tmp_path: Path
) -> None:
    # The models exist now, so compiling renders their incremental branch for Snowflake and
    # looks each model's newest arrival up on the emulator. The emulator cannot run the
    # MERGE (it rejects the temporary relation dbt-snowflake makes first), nor the SELECT
    # (its translation of the timestamp cast calls a helper, _fs_to_timestamp, that a
    # plain connection lacks): those are checked as text.
    emulator_dbt(
        ["compile", "--select", *INCREMENTAL_MODELS],
        snowflake_settings(),
        tmp_path,
        emulator_port,
    )
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    configs = {
        name: manifest["nodes"][f"model.lakehouse.{name}"]["config"] for name in INCREMENTAL_MODELS
    }
    compiled = {
        name: " ".join(
            (tmp_path / f"target/compiled/lakehouse/models/{folder}/{name}.sql").read_text().split()
        ).lower()
        for name, folder in INCREMENTAL_MODELS.items()
    }

    assert {
        name: (c["materialized"], c["incremental_strategy"]) for name, c in configs.items()
    } == (dict.fromkeys(INCREMENTAL_MODELS, ("incremental", "merge")))
    # Each reads from its own newest arrival (e7, ingested 2 May 00:20:06) less the 5-minute
    # lookback, written into the SQL as a constant. Silver compares it, as an instant, with
    # bronze's own column, so the scan of bronze can prune on it. (dbt's own dateadd writes
    # its arguments on their own lines: a space inside each parenthesis once joined.)
    bound = "ingested_at >= dateadd( minute, -5, cast('2024-05-02 00:20:06' as timestamp) )"
    instant_bound = (
        "where bronze_ingested_at >= "
        "dateadd( minute, -5, cast('2024-05-02 00:20:06 +00:00' as timestamp_tz) )"
    )
    assert {
        name: (instant_bound if name == "int_listening_events_deduplicated" else bound) in sql
        for name, sql in compiled.items()
    } == dict.fromkeys(INCREMENTAL_MODELS, True)
    assert (
        "on dated_events.user_id = changed_keys.user_id "
        "and dated_events.activity_date = changed_keys.activity_date"
    ) in compiled["int_user_days_aggregated"]
    # The rows to rekey: a join of the fact with the closed user versions only, and the rows
    # whose keys were not found, both read from the tables themselves.
    assert (
        "closed_versions as ( select user_version_id, valid_to "
        "from lakehouse.gold.dim_users where valid_to is not null )"
    ) in compiled["fct_listens"]
    rekey_join = "from lakehouse.gold.fct_listens as listens inner join closed_versions"
    assert rekey_join in compiled["fct_listens"]
    assert (
        "select event_id from lakehouse.gold.fct_listens "
        "where user_version_id is null or artist_id is null"
    ) in compiled["fct_listens"]


def bronze_statements(
    macro: str, bronze_read: str, port: int, artifacts: Path, capfd: pytest.CaptureFixture[str]
) -> list[str]:
    """The statements `dbt run-operation <macro>` prints with dry_run (nothing is run)."""
    emulator_dbt(
        ["run-operation", macro, "--args", '{"dry_run": true}'],
        snowflake_settings(bronze_read),
        artifacts,
        port,
    )
    output = capfd.readouterr().out
    return [
        " ".join(statement.split())
        for statement in re.findall(r"-- statement --\n(.*?);\n-- end --", output, re.DOTALL)
    ]


def test_external_table_takes_partitions_from_the_file_path(
    emulator_port: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    create, *reference_creates = bronze_statements(
        "create_bronze", "external_table", emulator_port, tmp_path, capfd
    )
    refresh, *reference_refreshes = bronze_statements(
        "refresh_bronze", "external_table", emulator_port, tmp_path, capfd
    )

    assert create.startswith(
        "create or replace external table LAKEHOUSE.BRONZE.LISTENING_EVENTS_EXTERNAL ("
    )
    assert (
        "event_date date as (to_date(split_part(split_part(metadata$filename, "
        "'event_date=', 2), '/', 1), 'YYYY-MM-DD'))"
    ) in create
    assert (
        "event_hour integer as (cast(split_part(split_part(metadata$filename, "
        "'event_hour=', 2), '/', 1) as integer))"
    ) in create
    assert "event_at timestamp_ltz as (value:event_at::timestamp_ltz)" in create
    assert create.endswith(
        "partition by (event_date, event_hour) "
        "location = @LAKEHOUSE.BRONZE.LAKE_STAGE/bronze/listening_events/ "
        "pattern = '.*[.]parquet' file_format = (type = parquet) auto_refresh = false"
    )
    assert refresh == "alter external table LAKEHOUSE.BRONZE.LISTENING_EVENTS_EXTERNAL refresh"
    assert reference_creates[0] == (
        "create or replace external table LAKEHOUSE.BRONZE.reference_users ( "
        "user_id varchar as (value:user_id::varchar), "
        "user_name varchar as (value:user_name::varchar), "
        "country varchar as (value:country::varchar), "
        "subscription_tier varchar as (value:subscription_tier::varchar), "
        "signup_date date as (value:signup_date::date), "
        "birth_year integer as (value:birth_year::integer), "
        "updated_at timestamp_ntz as (value:updated_at::timestamp_ntz) ) "
        "location = @LAKEHOUSE.BRONZE.LAKE_STAGE/reference/ "
        "pattern = '.*/users[.]parquet' file_format = (type = parquet) auto_refresh = false"
    )
    assert [statement.split(" (")[0] for statement in reference_creates[1:]] == [
        "create or replace external table LAKEHOUSE.BRONZE.reference_tracks",
        "create or replace external table LAKEHOUSE.BRONZE.reference_artists",
    ]
    assert reference_refreshes == [
        f"alter external table LAKEHOUSE.BRONZE.reference_{name} refresh"
        for name in ("users", "tracks", "artists")
    ]


def test_iceberg_table_reads_the_delta_log_through_the_catalog_integration(
    emulator_port: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # The reference files are external tables whichever way bronze is read.
    create, *_ = bronze_statements("create_bronze", "iceberg", emulator_port, tmp_path, capfd)
    refresh, *_ = bronze_statements("refresh_bronze", "iceberg", emulator_port, tmp_path, capfd)

    assert create == (
        "create or replace iceberg table LAKEHOUSE.BRONZE.LISTENING_EVENTS_ICEBERG "
        "external_volume = 'LAKEHOUSE_LAKE_VOLUME' catalog = 'LAKEHOUSE_DELTA_CATALOG' "
        "base_location = 'bronze/listening_events/' auto_refresh = false"
    )
    assert refresh == "alter iceberg table LAKEHOUSE.BRONZE.LISTENING_EVENTS_ICEBERG refresh"


def test_the_snowflake_bronze_source_follows_bronze_read(
    emulator_port: int, tmp_path: Path
) -> None:
    emulator_dbt(
        ["compile", "--select", "stg_bronze__listening_events"],
        snowflake_settings("external_table"),
        tmp_path,
        emulator_port,
    )
    compiled = (
        tmp_path / "target/compiled/lakehouse/models/staging/stg_bronze__listening_events.sql"
    ).read_text()

    assert "from LAKEHOUSE.BRONZE.LISTENING_EVENTS_EXTERNAL" in compiled
    assert "convert_timezone('UTC', event_at)" in compiled


def test_bronze_source_freshness_runs_on_the_emulator(
    built_on_emulator: Path, emulator_port: int, tmp_path: Path
) -> None:
    # The quality DAG's freshness check on Snowflake: bronze's newest arrival (e7, ingested
    # 2 May 00:20:06) three hours before the moment the check is judged at is past the
    # 120-minute error threshold; dbt exits 1 and says so in sources.json.
    with pytest.raises(DbtCommandError):
        emulator_dbt(
            ["source", "freshness", "--select", "source:bronze.listening_events"],
            snowflake_settings(),
            tmp_path,
            emulator_port,
            more_vars={"freshness_at": "2024-05-02 03:20:06"},
        )
    results = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    assert [
        (result["unique_id"], result["status"], result["max_loaded_at_time_ago_in_s"])
        for result in results
    ] == [("source.lakehouse.bronze.listening_events", "error", 10800.0)]
    assert results[0]["max_loaded_at"].startswith("2024-05-02T00:20:06")
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "from LAKEHOUSE.BRONZE.LISTENING_EVENTS_ICEBERG" in log
    assert "cast('2024-05-02 03:20:06 +00:00' as timestamp_tz)" in log
