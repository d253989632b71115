"""The dashboard through Streamlit's app testing API: a small real run, and an empty lake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lakehouse.dashboard import APP
from lakehouse.dashboard.data import NOW_PLAYING_LIMIT
from lakehouse.lake.tables import query_warehouse
from lakehouse.sandbox import sandbox_environment, use_environment
from tests.small_run import BAD_RECORDS, NOW_PLAYING_MINUTES, UNREAD_EVENTS, SmallRun

HEADERS = [
    "Now playing",
    "Top tracks",
    "Top artists",
    "Daily listening",
    "Device mix",
    "Pipeline health",
]


def run_app(environment: dict[str, str]) -> AppTest:
    """The app run once, its settings from `environment` as `lakehouse dashboard` gives them."""
    with use_environment(environment):
        app = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


@pytest.fixture(scope="module")
def dashboard(small_run: SmallRun) -> Iterator[AppTest]:
    """The dashboard over the small run, run once for the tests of this module."""
    yield run_app(small_run.environment)


def _warehouse_frame(run: SmallRun, sql: str) -> pd.DataFrame:
    columns, rows = query_warehouse(run.settings, sql)
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.integration
def test_every_section_has_the_runs_numbers(dashboard: AppTest, small_run: SmallRun) -> None:
    assert dashboard.title[0].value == "Lakehouse: what is being played"
    assert [header.value for header in dashboard.header] == HEADERS
    metrics = {metric.label: metric.value for metric in dashboard.metric}
    assert metrics["Bronze events"] == f"{small_run.ingested_events:,}"
    assert metrics["Silver events"] == f"{small_run.ingested_events:,}"
    assert metrics["Quarantined"] == str(len(BAD_RECORDS))
    assert metrics["Kafka lag"] == str(UNREAD_EVENTS)
    assert int(metrics["Last batch ms"].replace(",", "")) > 0
    recent = int(metrics[f"Plays in the last {NOW_PLAYING_MINUTES} minutes"].replace(",", ""))
    assert recent > 0

    now_playing, tracks, artists, checks = (frame.value for frame in dashboard.dataframe)
    assert len(now_playing) == min(recent, NOW_PLAYING_LIMIT)
    played_at = pd.to_datetime(now_playing["played_at"], utc=True)
    assert played_at.is_monotonic_decreasing
    assert played_at.min() > datetime.now(UTC) - timedelta(minutes=NOW_PLAYING_MINUTES + 5)
    # Titles and artists come from the reference files, not the raw ids.
    assert not now_playing["track"].str.startswith("t-").any()
    assert not now_playing["artist"].str.startswith("a-").any()

    gold_tracks = _warehouse_frame(
        small_run, "select track_title, play_count from gold.top_tracks order by rank limit 10"
    )
    assert tracks["track"].tolist() == gold_tracks["track_title"].tolist()
    assert tracks["plays"].tolist() == gold_tracks["play_count"].tolist()
    gold_artists = _warehouse_frame(
        small_run, "select artist_name from gold.top_artists order by rank limit 10"
    )
    assert artists["artist"].tolist() == gold_artists["artist_name"].tolist()

    plays_by_day = _warehouse_frame(
        small_run, "select sum(plays) as plays from gold.daily_user_stats"
    )
    assert dashboard.caption[0].value.startswith(f"{int(plays_by_day['plays'][0]):,} plays, ")
    charts = [json.loads(chart.proto.spec) for chart in dashboard.get("vega_lite_chart")]
    encoded = [chart["encoding"]["y"]["field"] for chart in charts]
    assert encoded == ["plays", "percent_of_plays"]

    # Pipeline health is `lakehouse status`'s verdict: the quarantine share warns.
    assert [warning.value for warning in dashboard.warning] == ["WARN: quarantine WARN"]
    assert set(checks["check"]) == {
        "bronze_freshness",
        "consumer_lag",
        "retention_headroom",
        "quarantine",
    }


def test_an_empty_lake_says_what_to_run(tmp_path: Path) -> None:
    app = run_app(sandbox_environment(tmp_path))
    assert [header.value for header in app.header] == HEADERS
    hints = [info.value for info in app.info]
    assert hints[0] == "No bronze table yet: run `lakehouse demo` (or up, produce, ingest)."
    assert (
        hints[1:]
        == ["Gold is not built in the DuckDB warehouse yet: run `lakehouse transform`."] * 4
    )
    assert [warning.value for warning in app.warning] == ["WARN: bronze WARN; kafka WARN"]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Bronze events"] == "-"
    assert metrics["Kafka lag"] == "-"
