"""The lake on S3, end to end, against a real S3-compatible server started as a process.

Kafka -> spark-submit (Delta bronze and its checkpoints on s3a://) -> dbt on DuckDB reading
bronze and the reference data back from s3:// -> counts that reconcile. Nothing of the lake
may land on local disk; the single-writer lock stays local (under state_dir).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.lake.tables import SILVER_EVENTS_TABLE
from lakehouse.monitoring.kafka_health import partition_lags
from lakehouse.monitoring.reconcile import check, layer_counts
from lakehouse.settings import Settings
from lakehouse.simulator import generate_events
from lakehouse.streaming.checkpoint import INGEST_QUERY
from tests.s3_server import S3Server

pytestmark = pytest.mark.integration

EVENTS = 2_000
SEED = 61


@pytest.fixture
def s3_stack(
    stack: Settings, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The isolated stack with its lake and checkpoints in a fresh bucket on the S3 server."""
    bucket = f"lake-{tmp_path.name.replace('_', '-').lower()}"[:63]
    s3_server.client().create_bucket(Bucket=bucket)
    overrides = {
        "LAKEHOUSE__LAKE__ROOT": f"s3a://{bucket}/lake",
        "LAKEHOUSE__LAKE__CHECKPOINT_ROOT": f"s3a://{bucket}/checkpoints",
        "LAKEHOUSE__S3__ENDPOINT": s3_server.endpoint,
        "LAKEHOUSE__S3__PATH_STYLE_ACCESS": "true",
        **s3_server.credentials,
    }
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def object_keys(s3_server: S3Server, bucket: str) -> set[str]:
    """Every key in the bucket."""
    paginator = s3_server.client().get_paginator("list_objects_v2")
    return {
        item["Key"]
        for page in paginator.paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }


def test_bronze_on_s3_reconciles_through_dbt(
    s3_stack: Settings, s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_stack.lake_root.split("/")[2]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)

    report = pipeline.produce(s3_stack, events=EVENTS, rate=None, seed=SEED, end=end)
    pipeline.ingest(s3_stack, "available-now")
    pipeline.transform(s3_stack)
    result = layer_counts(s3_stack)

    assert report.total_delivered == EVENTS
    assert result.produced == EVENTS
    rows = {(table.layer, table.name): table.rows for table in result.tables}
    assert rows[("bronze", "listening_events")] == EVENTS
    assert rows[("quarantine", "quarantine_events")] == 0
    assert result.checks and result.reconciled, result.checks

    keys = object_keys(s3_server, bucket)
    assert "lake/bronze/listening_events/_delta_log/00000000000000000000.json" in keys
    assert f"checkpoints/{INGEST_QUERY}/commits/0" in keys
    # `lakehouse check` and the lag (status, the quality DAG) read the checkpoint on S3.
    report = check(s3_stack)
    assert sum(row.bronze.rows for row in report.partitions) == EVENTS
    assert all(row.verdicts == ("OK",) for row in report.partitions)
    assert all(row.committed == row.kafka_end for row in report.partitions)
    lags = partition_lags(s3_stack)
    assert sum(lag.end_offset for lag in lags) == EVENTS
    assert all(lag.lag == 0 for lag in lags)
    for table in ("users", "tracks", "artists"):
        assert f"lake/reference/{table}.parquet" in keys
    # The lake is all on S3; only the broker's data and the locks are local.
    assert not (tmp_path / "lake").exists()
    assert not (tmp_path / "checkpoints").exists()
    assert any(s3_stack.state_path.glob("locks/*.lock"))

    catalog = pipeline.configured_catalog(s3_stack)
    expected_ids = {
        event.event_id
        for event in generate_events(
            catalog, count=EVENTS, seed=SEED, end=end, window_hours=s3_stack.simulator.window_hours
        )
    }
    database = s3_stack.path(s3_stack.warehouse.duckdb_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        silver_ids = {
            row[0]
            for row in connection.execute(f"select event_id from {SILVER_EVENTS_TABLE}").fetchall()
        }
        # Gold joins the reference data, read from S3: every top track has its title.
        titles = connection.execute(
            "select count(*), count(track_title) from gold.top_tracks"
        ).fetchone()
    assert silver_ids == expected_ids
    assert titles is not None and titles[0] > 0 and titles[0] == titles[1]
