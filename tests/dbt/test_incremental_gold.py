"""Silver and gold stay equal to a full rebuild over several incremental runs: late events,
resends, a second and a third day, events for days already aggregated, a commit made
visible out of order, a profile change and reference rows that arrive after their events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import SparkSession

from lakehouse.warehouse.reference_inputs import plan_reference
from tests.dbt.test_dbt_build import (
    BRONZE_EVENTS,
    REFERENCE_QUERIES,
    bronze_event,
    play,
    utc,
    write_bronze_events,
)
from tests.dbt.test_incremental import build, build_vars, rows_only_in_one, warehouse_tables

# fmt: off
# A second day, with an event for 1 May (already aggregated) arriving on 3 May, a resend of
# e5 (the first delivery wins), and a user and a track the reference data does not know yet.
SECOND_DAY = [
    play("e30", "u1", "t2", event_at=utc(3, 9, 0), session_id="s30", device="mobile",
         country="US", ms_played=170_000, kafka_offset=30),
    bronze_event("e31", "skip", utc(3, 9, 5), "u2", "t3", session_id="s31", device="web",
                 country="GB", ms_played=20_000, kafka_offset=31),
    play("e32", "u2", "t2", event_at=utc(1, 15, 0), session_id="s32", device="web",
         country="GB", ms_played=90_000, kafka_offset=32, kafka_timestamp=utc(3, 9, 10)),
    play("e5", "u2", "t3", event_at=utc(1, 23, 30), session_id="s2", device="web",
         country="GB", ms_played=1, kafka_offset=33, kafka_timestamp=utc(3, 9, 11)),
    play("e33", "u5", "t3", event_at=utc(3, 9, 20), session_id="s33", device="car",
         country="FR", ms_played=60_000, kafka_offset=34) | {"track_id": "t5"},
]
# Committed after the second build, although the first row was stamped two minutes before
# the newest row silver then held (within the 5-minute lookback); an event of 20 April; e31
# again through another partition, with an earlier Kafka timestamp: this delivery wins.
OUT_OF_ORDER = [
    play("e40", "u3", "t1", event_at=utc(3, 9, 0), session_id="s40", device="tablet",
         country="DE", ms_played=10_000, kafka_offset=40)
    | {"ingested_at": utc(3, 9, 20, 6) - dt.timedelta(minutes=2)},
    play("e41", "u4", "t1", event_at=dt.datetime(2024, 4, 20, 18, 0, tzinfo=dt.UTC),
         session_id="s41", device="car", country="IN", ms_played=50_000, kafka_offset=41,
         kafka_timestamp=utc(3, 12, 0)),
    bronze_event("e31", "skip", utc(3, 9, 5), "u2", "t3", session_id="s31", device="web",
                 country="GB", ms_played=20_000, kafka_partition=2, kafka_offset=1,
                 kafka_timestamp=utc(3, 9, 5)) | {"ingested_at": utc(3, 12, 1)},
]
# A third day, and one more event for 3 May, aggregated by the runs before.
THIRD_DAY = [
    play("e50", "u5", "t3", event_at=utc(4, 8, 0), session_id="s50", device="car",
         country="FR", ms_played=30_000, kafka_offset=50) | {"track_id": "t5"},
    bronze_event("e51", "like", utc(3, 22, 0), "u3", "t1", session_id="s51", device="tablet",
                 country="DE", ms_played=0, kafka_offset=51, kafka_timestamp=utc(4, 8, 1)),
]
# fmt: on

# From the third build on: u1 moved to family on 3 May 08:00 (before e30, which was written
# with the premium version), u5 signed up, and the catalogue has t5.
LATER_REFERENCE = {
    "users": REFERENCE_QUERIES["users"]
    .replace(
        "('u1', 'Ana', 'US', 'premium', '2023-01-10', 1990, '2024-01-01 00:00:00')",
        "('u1', 'Ana', 'US', 'family', '2023-01-10', 1990, '2024-05-03 08:00:00')",
    )
    .replace(
        "('u4', 'Dev', 'IN', 'family', '2024-04-01', 1979, '2024-04-01 09:30:00')",
        "('u4', 'Dev', 'IN', 'family', '2024-04-01', 1979, '2024-04-01 09:30:00'),\n"
        "            ('u5', 'Eli', 'FR', 'free', '2024-05-03', 1999, '2024-05-03 10:00:00')",
    ),
    "tracks": REFERENCE_QUERIES["tracks"].replace(
        "('t4', 'Unplayed', 'a2', 'Polar', 'electronic', 150000, 2021, false)",
        "('t4', 'Unplayed', 'a2', 'Polar', 'electronic', 150000, 2021, false),\n"
        "            ('t5', 'Fjord', 'a2', 'Polar', 'electronic', 300000, 2022, false)",
    ),
}


def write_reference(folder: Path, queries: dict[str, str]) -> Path:
    """Users, artists and tracks Parquet files from the given queries."""
    folder.mkdir()
    with duckdb.connect() as connection:
        for name, sql in {**REFERENCE_QUERIES, **queries}.items():
            connection.execute(f"copy ({sql}) to '{folder / name}.parquet'")
    return folder


@pytest.fixture(scope="module")
def runs(
    spark: SparkSession,
    dbt_project_dir: Path,
    duckdb_extension_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """Five incremental builds, then a full refresh of a copy of the final warehouse (same
    snapshot history, so every column, user versions included, can be compared)."""
    root = tmp_path_factory.mktemp("incremental-gold")
    bronze = root / "bronze"
    first_reference = write_reference(root / "reference-1", {})
    later_reference = write_reference(root / "reference-2", LATER_REFERENCE)
    incremental = root / "incremental.duckdb"
    left_out: list[bool] = []

    def build_incremental(reference: Path) -> None:
        """As a scheduled run: the reference branch is left out while its inputs are as the
        warehouse recorded at its last build."""
        variables = build_vars(root, reference)
        plan = plan_reference(
            str(reference), dbt_project_dir, "duckdb", variables, database=incremental
        )
        exclude, extra = plan.selection("resource_type:test resource_type:unit_test")
        build(
            dbt_project_dir,
            duckdb_extension_dir,
            root,
            incremental,
            reference,
            command=["build", "--exclude", *str(exclude).split(), *extra],
        )
        plan.record(incremental)
        left_out.append(plan.current)

    write_bronze_events(spark, BRONZE_EVENTS, bronze)
    build_incremental(first_reference)
    write_bronze_events(spark, SECOND_DAY, bronze, mode="append")
    build_incremental(first_reference)
    write_bronze_events(spark, OUT_OF_ORDER, bronze, mode="append")
    build_incremental(later_reference)
    build_incremental(later_reference)
    write_bronze_events(spark, THIRD_DAY, bronze, mode="append")
    build_incremental(later_reference)

    # Built first, then left out while the files are unchanged, built again when the later
    # reference files replace them (the path is one of the inputs), then left out.
    assert left_out == [False, True, False, True, True]

    full = root / "full.duckdb"
    full.write_bytes(incremental.read_bytes())
    build(dbt_project_dir, duckdb_extension_dir, root, full, later_reference, "--full-refresh")
    return {"incremental": incremental, "full": full}


def test_every_incremental_model_equals_a_full_refresh_row_for_row(
    runs: dict[str, Path],
) -> None:
    tables = warehouse_tables(runs["full"])

    differences = {
        table: rows_only_in_one(runs["incremental"], runs["full"], table) for table in tables
    }

    assert tables == warehouse_tables(runs["incremental"])
    assert {
        "silver.int_listening_events_deduplicated",
        "silver.int_user_days_aggregated",
        "silver.int_device_user_days_aggregated",
        "silver.int_track_days_aggregated",
        "silver.int_track_listeners_aggregated",
        "silver.int_artist_listeners_aggregated",
        "gold.fct_listens",
        "gold.daily_user_stats",
        "gold.device_usage",
        "gold.top_tracks",
        "gold.top_artists",
    } <= set(tables)
    assert differences == dict.fromkeys(tables, 0)


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on a warehouse, opened read-only."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_late_events_land_in_their_own_days(runs: dict[str, Path]) -> None:
    days = query(
        runs["incremental"],
        "select user_id, activity_date, plays, skips, likes, total_ms_played, distinct_tracks "
        "from gold.daily_user_stats where user_id in ('u2', 'u4') order by 1, 2",
    )

    assert days == [
        # e32 (1 May, arrived 3 May) joins e3, e4, e5; the resend of e5 changed nothing.
        ("u2", dt.date(2024, 5, 1), 3, 0, 1, 480_000, 3),
        # e31 arrived twice; the second delivery won, with the same values.
        ("u2", dt.date(2024, 5, 3), 0, 1, 0, 20_000, 1),
        ("u4", dt.date(2024, 4, 20), 1, 0, 0, 50_000, 1),
    ]


def test_the_fact_follows_profile_changes_and_late_reference_rows(
    runs: dict[str, Path],
) -> None:
    listens = query(
        runs["incremental"],
        "select fct.event_id, dim.subscription_tier, fct.artist_id from gold.fct_listens as fct "
        "left join gold.dim_users as dim on fct.user_version_id = dim.user_version_id "
        "where fct.event_id in ('e1', 'e30', 'e33', 'e50') order by 1",
    )
    silver = query(
        runs["incremental"],
        "select event_id, kafka_partition, kafka_offset from "
        "silver.int_listening_events_deduplicated where event_id in ('e31', 'e40') order by 1",
    )

    assert listens == [
        ("e1", "premium", "a1"),
        # Written with the premium version, moved to family when the snapshot saw the change.
        ("e30", "family", "a1"),
        # Written before u5 and t5 were in the reference data, keyed once they were.
        ("e33", "free", "a2"),
        ("e50", "free", "a2"),
    ]
    assert silver == [("e31", 2, 1), ("e40", 0, 40)]
