"""`dbt build` on real DuckDB over a small bronze Delta table and reference Parquet files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyspark.sql import SparkSession

from lakehouse.warehouse.dbt import DbtCommandError, run_dbt
from transformations.bronze import BRONZE_SCHEMA

TOPIC_BY_EVENT_TYPE = {"play": "plays", "skip": "skips", "like": "likes"}
TRACK_DURATION_MS = {"t1": 200_000, "t2": 180_000, "t3": 240_000}
ARTIST_BY_TRACK = {"t1": "a1", "t2": "a1", "t3": "a2"}


def utc(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    """A UTC instant in May 2024."""
    return dt.datetime(2024, 5, day, hour, minute, second, tzinfo=dt.UTC)


def bronze_event(
    event_id: str | None,
    event_type: str,
    event_at: dt.datetime,
    user_id: str | None,
    track_id: str,
    *,
    session_id: str,
    device: str,
    country: str,
    ms_played: int,
    kafka_partition: int = 0,
    kafka_offset: int = 0,
    kafka_timestamp: dt.datetime | None = None,
) -> dict[str, Any]:
    """A bronze row; the Kafka, catalogue and partition columns follow from the event."""
    delivered_at = kafka_timestamp or event_at + dt.timedelta(seconds=1)
    payload = {"event_id": event_id, "event_type": event_type, "user_id": user_id}
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_at": event_at,
        "user_id": user_id,
        "track_id": track_id,
        "artist_id": ARTIST_BY_TRACK[track_id],
        "session_id": session_id,
        "device": device,
        "country": country,
        "track_duration_ms": TRACK_DURATION_MS[track_id],
        "ms_played": ms_played,
        "schema_version": 1,
        "raw_value": json.dumps(payload),
        "kafka_key": user_id,
        "kafka_topic": TOPIC_BY_EVENT_TYPE[event_type.strip().lower()],
        "kafka_partition": kafka_partition,
        "kafka_offset": kafka_offset,
        "kafka_timestamp": delivered_at,
        "ingested_at": delivered_at + dt.timedelta(seconds=5),
        "event_date": event_at.date(),
        "event_hour": event_at.hour,
    }


def play(
    event_id: str | None, user_id: str, track_id: str, *, event_at: dt.datetime, **columns: Any
) -> dict[str, Any]:
    """A bronze play event."""
    return bronze_event(event_id, "play", event_at, user_id, track_id, **columns)


def write_bronze_events(
    spark: SparkSession, rows: list[dict[str, Any]], path: Path, mode: str = "overwrite"
) -> None:
    """Write bronze rows as a Delta table partitioned like the ingest job's (or append them)."""
    ordered_rows = [tuple(row[name] for name in BRONZE_SCHEMA.fieldNames()) for row in rows]
    (
        spark.createDataFrame(ordered_rows, BRONZE_SCHEMA)
        .write.format("delta")
        .partitionBy("event_date", "event_hour")
        .mode(mode)
        .save(str(path))
    )


REFERENCE_QUERIES = {
    "users": """
        select
            user_id, user_name, country, subscription_tier,
            cast(signup_date as date) as signup_date,
            cast(birth_year as integer) as birth_year,
            cast(updated_at as timestamp) as updated_at
        from (values
            ('u1', 'Ana', 'US', 'premium', '2023-01-10', 1990, '2024-01-01 00:00:00'),
            ('u2', 'Ben', 'GB', 'free', '2023-03-02', 1985, '2024-01-01 00:00:00'),
            ('u3', 'Chloe', 'DE', 'student', '2024-02-20', 2003, '2024-03-05 12:00:00'),
            ('u4', 'Dev', 'IN', 'family', '2024-04-01', 1979, '2024-04-01 09:30:00')
        ) as users (
            user_id, user_name, country, subscription_tier, signup_date, birth_year, updated_at
        )
    """,
    "artists": """
        select artist_id, artist_name, genre, country
        from (values
            ('a1', 'The Quiet Hours', 'indie', 'US'),
            ('a2', 'Nordlys', 'electronic', 'NO')
        ) as artists (artist_id, artist_name, genre, country)
    """,
    "tracks": """
        select
            track_id, track_title, artist_id, album_title, genre,
            cast(duration_ms as bigint) as duration_ms,
            cast(release_year as integer) as release_year,
            is_explicit
        from (values
            ('t1', 'Slow Morning', 'a1', 'Daylight', 'indie', 200000, 2019, false),
            ('t2', 'Late Train', 'a1', 'Daylight', 'indie', 180000, 2019, true),
            ('t3', 'Aurora', 'a2', 'Polar', 'electronic', 240000, 2021, false),
            ('t4', 'Unplayed', 'a2', 'Polar', 'electronic', 150000, 2021, false)
        ) as tracks (
            track_id, track_title, artist_id, album_title, genre,
            duration_ms, release_year, is_explicit
        )
    """,
}


def write_reference_data(reference_dir: Path) -> None:
    """Write users, artists and tracks Parquet files as the simulator does."""
    reference_dir.mkdir(parents=True)
    with duckdb.connect() as connection:
        for name, query in REFERENCE_QUERIES.items():
            connection.execute(f"copy ({query}) to '{reference_dir / name}.parquet'")


# u1 and u2 listen on 1 May, u3 just after midnight UTC on 2 May. e1 and e4 arrive twice;
# three rows lack an event_id or a track_id.
# fmt: off
BRONZE_EVENTS = [
    play("e1", "u1", "t1", event_at=utc(1, 10, 0), session_id="s1", device="mobile",
         country="US", ms_played=200_000, kafka_offset=0),
    # A redelivery of e1, seen later: the first delivery wins.
    play("e1", "u1", "t1", event_at=utc(1, 10, 0), session_id="s1", device="mobile",
         country="US", ms_played=150_000, kafka_offset=1, kafka_timestamp=utc(1, 10, 0, 5)),
    bronze_event("e2", "skip", utc(1, 10, 5), "u1", "t2", session_id="s1",
                 device=" Desktop ", country="us", ms_played=30_000),
    bronze_event("e3", "like", utc(1, 11, 0), "u2", "t1", session_id="s2", device="web",
                 country="gb", ms_played=0),
    play("e4", "u2", "t1", event_at=utc(1, 11, 1), session_id="s2", device="web",
         country="GB", ms_played=150_000, kafka_partition=0, kafka_offset=9),
    # Same Kafka timestamp as the row above: the lower partition wins.
    play("e4", "u2", "t1", event_at=utc(1, 11, 1), session_id="s2", device="web",
         country="GB", ms_played=1, kafka_partition=1, kafka_offset=3),
    play("e5", "u2", "t3", event_at=utc(1, 23, 30), session_id="s2", device="web",
         country="GB", ms_played=240_000),
    play("e6", "u3", "t3", event_at=utc(2, 0, 15), session_id="s3", device="tablet",
         country="DE", ms_played=100_000),
    bronze_event("e7", "PLAY", utc(2, 0, 20), "u3", "t2", session_id="s3", device="Tablet",
                 country="DE", ms_played=180_000),
    play(None, "u1", "t1", event_at=utc(1, 12, 0), session_id="s1", device="mobile",
         country="US", ms_played=1_000),
    play("   ", "u1", "t1", event_at=utc(1, 12, 1), session_id="s1", device="mobile",
         country="US", ms_played=1_000),
    bronze_event("e8", "play", utc(1, 12, 2), "u1", "t1", session_id="s1", device="mobile",
                 country="US", ms_played=1_000) | {"track_id": None},
]
# fmt: on


def lake_vars(lake: Path) -> dict[str, str]:
    """The dbt vars of a lake folder holding bronze/listening_events and reference/."""
    return {
        "bronze_events_path": str(lake / "bronze" / "listening_events"),
        "reference_path": str(lake / "reference"),
    }


def query(duckdb_path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the warehouse, opened read-only."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def warehouse(
    spark: SparkSession,
    dbt_project_dir: Path,
    duckdb_extension_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The DuckDB file after `dbt build` over BRONZE_EVENTS and the reference data."""
    root = tmp_path_factory.mktemp("warehouse")
    write_bronze_events(spark, BRONZE_EVENTS, root / "lake" / "bronze" / "listening_events")
    write_reference_data(root / "lake" / "reference")
    duckdb_path = root / "lakehouse.duckdb"
    # DuckDB reads Spark's INT96 timestamps, and casts zoned ones, through the session time
    # zone: with the machine's zone east of UTC, any slip moves every event_at and e5
    # (23:30 UTC) into the next day.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TZ", "Asia/Tokyo")
        run_dbt(
            ["build"],
            project_dir=dbt_project_dir,
            duckdb_path=duckdb_path,
            extension_dir=duckdb_extension_dir,
            dbt_vars=lake_vars(root / "lake"),
            artifacts_dir=root / "dbt",
        )
    return duckdb_path


def test_silver_keeps_first_delivery_of_each_complete_event(warehouse: Path) -> None:
    rows = query(
        warehouse,
        """
        select event_id, event_type, event_at, user_id, track_id, device, country, ms_played
        from silver.int_listening_events_deduplicated
        order by event_id
        """,
    )

    def at(day: int, hour: int, minute: int) -> dt.datetime:
        return dt.datetime(2024, 5, day, hour, minute)

    assert rows == [
        ("e1", "play", at(1, 10, 0), "u1", "t1", "mobile", "US", 200_000),
        ("e2", "skip", at(1, 10, 5), "u1", "t2", "desktop", "US", 30_000),
        ("e3", "like", at(1, 11, 0), "u2", "t1", "web", "GB", 0),
        ("e4", "play", at(1, 11, 1), "u2", "t1", "web", "GB", 150_000),
        ("e5", "play", at(1, 23, 30), "u2", "t3", "web", "GB", 240_000),
        ("e6", "play", at(2, 0, 15), "u3", "t3", "tablet", "DE", 100_000),
        ("e7", "play", at(2, 0, 20), "u3", "t2", "tablet", "DE", 180_000),
    ]


def test_top_tracks(warehouse: Path) -> None:
    rows = query(warehouse, "select * from gold.top_tracks order by rank")

    # t1 and t3 tie on plays and listeners; t1 has more listening time.
    assert rows == [
        ("t1", "Slow Morning", "a1", "The Quiet Hours", 2, 2, 350_000, 0, 1, 1),
        ("t3", "Aurora", "a2", "Nordlys", 2, 2, 340_000, 0, 0, 2),
        ("t2", "Late Train", "a1", "The Quiet Hours", 1, 1, 210_000, 1, 0, 3),
    ]


def test_top_artists(warehouse: Path) -> None:
    rows = query(warehouse, "select * from gold.top_artists order by rank")

    assert rows == [
        ("a1", "The Quiet Hours", 3, 3, 560_000, 1),
        ("a2", "Nordlys", 2, 2, 340_000, 2),
    ]


def test_daily_user_stats(warehouse: Path) -> None:
    rows = query(warehouse, "select * from gold.daily_user_stats order by user_id, activity_date")

    assert rows == [
        ("u1", dt.date(2024, 5, 1), 1, 1, 0, 230_000, 2, 1),
        ("u2", dt.date(2024, 5, 1), 2, 0, 1, 390_000, 2, 1),
        ("u3", dt.date(2024, 5, 2), 2, 0, 0, 280_000, 2, 1),
    ]


def test_device_usage(warehouse: Path) -> None:
    rows = query(warehouse, "select * from gold.device_usage order by activity_date, device")

    assert rows == [
        ("desktop", dt.date(2024, 5, 1), 1, 0, 0, 30_000, 0.0),
        ("mobile", dt.date(2024, 5, 1), 1, 1, 1, 200_000, pytest.approx(1 / 3)),
        ("web", dt.date(2024, 5, 1), 3, 2, 1, 390_000, pytest.approx(2 / 3)),
        ("tablet", dt.date(2024, 5, 2), 2, 2, 1, 280_000, 1.0),
    ]


def test_build_fails_when_a_listen_is_longer_than_its_track(
    spark: SparkSession,
    dbt_project_dir: Path,
    duckdb_extension_dir: Path,
    tmp_path: Path,
) -> None:
    too_long = play(
        "e1",
        "u1",
        "t2",
        event_at=utc(1, 10, 0),
        session_id="s1",
        device="mobile",
        country="US",
        ms_played=180_001,
    )
    write_bronze_events(spark, [too_long], tmp_path / "listening_events")
    write_reference_data(tmp_path / "reference")

    with pytest.raises(DbtCommandError) as failure:
        run_dbt(
            ["build"],
            project_dir=dbt_project_dir,
            duckdb_path=tmp_path / "lakehouse.duckdb",
            extension_dir=duckdb_extension_dir,
            dbt_vars={
                "bronze_events_path": str(tmp_path / "listening_events"),
                "reference_path": str(tmp_path / "reference"),
            },
            artifacts_dir=tmp_path / "dbt",
        )

    assert failure.value.exit_code == 1
    assert str(failure.value) == (
        "`dbt build` failed on target 'duckdb' with exit code 1; "
        f"dbt's log is {tmp_path / 'dbt' / 'logs' / 'dbt.log'}"
    )
    run_results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())
    failed = sorted(
        result["unique_id"]
        for result in run_results["results"]
        if result["status"] in {"fail", "error"}
    )
    assert failed == ["test.lakehouse.assert_ms_played_within_track_duration"]


def test_docs_generate_documents_the_lineage_of_gold(
    warehouse: Path, dbt_project_dir: Path, duckdb_extension_dir: Path
) -> None:
    root = warehouse.parent
    run_dbt(
        ["docs", "generate"],
        project_dir=dbt_project_dir,
        duckdb_path=warehouse,
        extension_dir=duckdb_extension_dir,
        dbt_vars=lake_vars(root / "lake"),
        artifacts_dir=root / "docs",
    )
    target = root / "docs" / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())

    assert (target / "index.html").is_file()
    fact_columns = catalog["nodes"]["model.lakehouse.fct_listens"]["columns"]
    assert {"event_id", "user_version_id", "track_id", "date_day"} <= set(fact_columns)
    assert sorted(manifest["parent_map"]["model.lakehouse.fct_listens"]) == [
        "model.lakehouse.dim_tracks",
        "model.lakehouse.dim_users",
        "model.lakehouse.int_listening_events_deduplicated",
    ]
    assert manifest["parent_map"]["model.lakehouse.dim_users"] == [
        "snapshot.lakehouse.users_snapshot"
    ]


def test_data_tests_read_the_recent_arrivals_of_the_models_that_declare_an_arrival_column(
    warehouse: Path,
) -> None:
    """Silver, fct_listens and the per-key aggregates name their arrival column (config meta
    arrival_column); a build that is not a --full-refresh tests their recent rows only, and
    tests the other models whole."""
    manifest = json.loads((warehouse.parent / "dbt" / "target" / "manifest.json").read_text())
    compiled = {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }

    def reads(test: str) -> str:
        return " ".join(compiled[test].split())

    assert '"silver"."int_listening_events_deduplicated" where ingested_at >= ' in reads(
        "unique_int_listening_events_deduplicated_event_id"
    )
    assert '"gold"."fct_listens" where ingested_at >= ' in reads("unique_fct_listens_event_id")
    assert '"silver"."int_user_days_aggregated" where last_ingested_at >= ' in reads(
        "unique_combination_of_columns_int_user_days_aggregated_user_id__activity_date"
    )
    assert '"silver"."int_listening_events_deduplicated" where ingested_at >= ' in reads(
        "assert_ms_played_not_negative"
    )
    assert 'from "lakehouse"."gold"."dim_tracks" where track_id is not null' in reads(
        "unique_dim_tracks_track_id"
    )
    assert "ingested_at" not in reads("unique_dim_tracks_track_id")
