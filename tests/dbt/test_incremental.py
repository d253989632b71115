"""Silver is incremental: a second batch lands as a full rebuild would place it, a rerun with
no new data changes nothing, and a user profile change becomes a second dim_users version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import SparkSession

from lakehouse.warehouse.dbt import run_dbt
from tests.dbt.test_dbt_build import (
    BRONZE_EVENTS,
    REFERENCE_QUERIES,
    bronze_event,
    play,
    utc,
    write_bronze_events,
    write_reference_data,
)

# Models, then the snapshot; tests are covered by test_dbt_build and would only slow this.
BUILD_WITHOUT_TESTS = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]

# fmt: off
SECOND_BATCH = [
    # A late event: it happened on 20 April and arrives on 2 May.
    play("e20", "u4", "t3", event_at=dt.datetime(2024, 4, 20, 18, 0, tzinfo=dt.UTC),
         session_id="s9", device="car", country="IN", ms_played=50_000, kafka_offset=20,
         kafka_timestamp=utc(2, 12, 0)),
    # e1 sent again a day later: silver keeps the first delivery.
    play("e1", "u1", "t1", event_at=utc(1, 10, 0), session_id="s1", device="mobile",
         country="US", ms_played=1, kafka_offset=21, kafka_timestamp=utc(2, 12, 1)),
    bronze_event("e21", "like", utc(2, 11, 0), "u1", "t3", session_id="s10", device="web",
                 country="US", ms_played=0, kafka_offset=22),
    play("e22", "u1", "t3", event_at=utc(2, 11, 1), session_id="s10", device="web",
         country="US", ms_played=240_000, kafka_offset=23),
]
# fmt: on

# u1 upgrades from premium to family on 2 May.
UPGRADED_USERS = REFERENCE_QUERIES["users"].replace(
    "('u1', 'Ana', 'US', 'premium', '2023-01-10', 1990, '2024-01-01 00:00:00')",
    "('u1', 'Ana', 'US', 'family', '2023-01-10', 1990, '2024-05-02 08:00:00')",
)


def build_vars(root: Path, reference: Path) -> dict[str, str]:
    """The dbt vars of a build over root's bronze and the given reference folder."""
    return {
        "bronze_events_path": str(root / "bronze"),
        "reference_path": str(reference),
        "lookback_minutes": "5",
    }


def build(
    project: Path,
    extensions: Path,
    root: Path,
    database: Path,
    reference: Path,
    *extra: str,
    command: list[str] = BUILD_WITHOUT_TESTS,
) -> None:
    """dbt build (no tests) of the project over root's bronze into `database`."""
    run_dbt(
        [*command, *extra],
        project_dir=project,
        duckdb_path=database,
        extension_dir=extensions,
        dbt_vars=build_vars(root, reference),
        artifacts_dir=database.parent / f"dbt-{database.stem}",
    )


def warehouse_tables(database: Path) -> list[str]:
    """schema.table of every table dbt built."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('silver', 'gold') and table_type = 'BASE TABLE' "
            "order by 1"
        ).fetchall()
    return [row[0] for row in rows]


def rows_only_in_one(left: Path, right: Path, table: str, columns: str = "*") -> int:
    """Rows of `table` in one database and not the other (multiset difference, both ways)."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left}' as left_db (read_only)")
        connection.execute(f"attach '{right}' as right_db (read_only)")
        row = connection.execute(
            f"""
            select count(*) from (
                (select {columns} from left_db.{table} except all
                 select {columns} from right_db.{table})
                union all
                (select {columns} from right_db.{table} except all
                 select {columns} from left_db.{table})
            )
            """
        ).fetchone()
    return int(row[0]) if row else -1


@pytest.fixture(scope="module")
def runs(
    spark: SparkSession,
    dbt_project_dir: Path,
    duckdb_extension_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """Incremental: batch 1, a rerun with nothing new (kept aside), batch 2; then a full
    refresh over the same final input in another database."""
    root = tmp_path_factory.mktemp("incremental")
    write_bronze_events(spark, BRONZE_EVENTS, root / "bronze")
    first_reference = root / "reference-1"
    write_reference_data(first_reference)
    incremental = root / "incremental.duckdb"
    build(dbt_project_dir, duckdb_extension_dir, root, incremental, first_reference)
    after_first = root / "after-first.duckdb"
    after_first.write_bytes(incremental.read_bytes())

    build(dbt_project_dir, duckdb_extension_dir, root, incremental, first_reference)
    after_rerun = root / "after-rerun.duckdb"
    after_rerun.write_bytes(incremental.read_bytes())

    write_bronze_events(spark, SECOND_BATCH, root / "bronze", mode="append")
    second_reference = root / "reference-2"
    second_reference.mkdir()
    with duckdb.connect() as connection:
        for name, sql in {**REFERENCE_QUERIES, "users": UPGRADED_USERS}.items():
            connection.execute(f"copy ({sql}) to '{second_reference / name}.parquet'")
    build(dbt_project_dir, duckdb_extension_dir, root, incremental, second_reference)

    full = root / "full.duckdb"
    build(dbt_project_dir, duckdb_extension_dir, root, full, second_reference, "--full-refresh")
    return {
        "after_first": after_first,
        "after_rerun": after_rerun,
        "incremental": incremental,
        "full": full,
    }


def test_a_rerun_without_new_data_changes_nothing(runs: dict[str, Path]) -> None:
    tables = warehouse_tables(runs["after_first"])

    assert "silver.users_snapshot" in tables
    assert "gold.fct_listens" in tables
    assert tables == warehouse_tables(runs["after_rerun"])
    assert {
        table: rows_only_in_one(runs["after_first"], runs["after_rerun"], table) for table in tables
    } == dict.fromkeys(tables, 0)


def test_incremental_build_equals_a_full_refresh_row_for_row(runs: dict[str, Path]) -> None:
    # Only the user history differs: the full refresh saw one version of each profile.
    history = {"silver.users_snapshot", "gold.dim_users", "gold.fct_listens"}
    tables = [table for table in warehouse_tables(runs["full"]) if table not in history]

    differences = {
        table: rows_only_in_one(runs["incremental"], runs["full"], table) for table in tables
    }
    differences["gold.fct_listens"] = rows_only_in_one(
        runs["incremental"],
        runs["full"],
        "gold.fct_listens",
        "* exclude (user_version_id)",
    )

    assert "silver.int_listening_events_deduplicated" in differences
    assert differences == dict.fromkeys(differences, 0)


def test_second_batch_lands_late_event_and_keeps_first_delivery(runs: dict[str, Path]) -> None:
    with duckdb.connect(str(runs["incremental"]), read_only=True) as connection:
        rows = connection.execute(
            "select event_id, event_date, ms_played, kafka_offset "
            "from silver.int_listening_events_deduplicated "
            "where event_id in ('e1', 'e20', 'e22') order by event_id"
        ).fetchall()

    assert rows == [
        ("e1", dt.date(2024, 5, 1), 200_000, 0),
        ("e20", dt.date(2024, 4, 20), 50_000, 20),
        ("e22", dt.date(2024, 5, 2), 240_000, 23),
    ]


def test_a_tier_change_becomes_a_second_user_version(runs: dict[str, Path]) -> None:
    with duckdb.connect(str(runs["incremental"]), read_only=True) as connection:
        versions = connection.execute(
            "select subscription_tier, valid_from, valid_to, is_current, version_number "
            "from gold.dim_users where user_id = 'u1' order by valid_from"
        ).fetchall()
        listens = connection.execute(
            "select fct.event_id, dim.subscription_tier from gold.fct_listens as fct "
            "inner join gold.dim_users as dim on fct.user_version_id = dim.user_version_id "
            "where fct.user_id = 'u1' order by fct.event_id"
        ).fetchall()
        others = connection.execute(
            "select count(*) from gold.dim_users where user_id != 'u1'"
        ).fetchone()

    assert versions == [
        ("premium", dt.datetime(2024, 1, 1), dt.datetime(2024, 5, 2, 8), False, 1),
        ("family", dt.datetime(2024, 5, 2, 8), None, True, 2),
    ]
    # Listens before the upgrade count for the premium profile, later ones for family.
    assert listens == [
        ("e1", "premium"),
        ("e2", "premium"),
        ("e21", "family"),
        ("e22", "family"),
    ]
    assert others == (3,)
