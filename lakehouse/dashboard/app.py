"""The lakehouse dashboard (Streamlit): what is played now, top tracks and artists, daily
listening, the device mix, and the pipeline's health as `lakehouse status` reports it.

Run it with `lakehouse dashboard` (which runs `streamlit run` on this file); the settings
come from the same loader as every command (LAKEHOUSE_ENV, LAKEHOUSE__... overrides).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from lakehouse.config import ConfigError, load_settings
from lakehouse.dashboard import data
from lakehouse.lake.tables import SILVER_EVENTS_TABLE
from lakehouse.monitoring.findings import FAIL, WARN, verdict_line
from lakehouse.monitoring.status import status_report
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import INGEST_QUERY

Result = TypeVar("Result")
GoldLoader = Callable[[Settings], pd.DataFrame | None]


def cached(settings: Settings, load: Callable[[Settings], Result]) -> Result:
    """`load(settings)`, reused for dashboard.cache_seconds; the settings are the cache key."""

    def run(_settings: Settings, load_name: str, settings_key: str) -> Result:
        return load(_settings)

    keep = st.cache_data(ttl=settings.dashboard.cache_seconds, show_spinner=False)(run)
    return keep(settings, load.__qualname__, settings.model_dump_json())


def now_playing_section(settings: Settings) -> None:
    """Plays of the last few minutes, from bronze."""
    minutes = settings.dashboard.now_playing_minutes
    st.header("Now playing")
    at = datetime.now(UTC)
    plays = cached(settings, lambda s: data.recent_plays(s, at, minutes))
    if plays is None:
        st.info("No bronze table yet: run `lakehouse demo` (or up, produce, ingest).")
        return
    st.metric(f"Plays in the last {minutes} minutes", f"{plays.count:,}")
    if plays.latest.empty:
        st.info(f"Nothing played in the last {minutes} minutes.")
        return
    st.dataframe(plays.latest, hide_index=True, height=240)


def gold_panel(
    settings: Settings,
    title: str,
    load: GoldLoader,
    show: Callable[[pd.DataFrame], None],
) -> None:
    """A titled gold result, or what to run when gold is not built yet."""
    st.header(title)
    frame = cached(settings, load)
    if frame is None:
        st.info("Gold is not built in the DuckDB warehouse yet: run `lakehouse transform`.")
        return
    show(frame)


def _table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True)


def _daily_chart(daily: pd.DataFrame) -> None:
    st.bar_chart(daily, x="day", y="plays", x_label="day", y_label="plays")
    st.caption(
        f"{int(daily['plays'].sum()):,} plays, "
        f"{daily['hours_played'].sum():,.1f} hours over {len(daily)} days"
    )


def _device_chart(devices: pd.DataFrame) -> None:
    st.bar_chart(devices, x="device", y="percent_of_plays", x_label="device", y_label="% of plays")


def gold_sections(settings: Settings) -> None:
    """Top tracks and artists, then daily listening and the device mix, two by two."""
    panels: list[tuple[str, GoldLoader, Callable[[pd.DataFrame], None]]] = [
        ("Top tracks", data.top_tracks, _table),
        ("Top artists", data.top_artists, _table),
        ("Daily listening", data.daily_listening, _daily_chart),
        ("Device mix", data.device_mix, _device_chart),
    ]
    for row in (panels[:2], panels[2:]):
        for column, (title, load, show) in zip(st.columns(2), row, strict=True):
            with column:
                gold_panel(settings, title, load, show)


def _rows_of(report: dict[str, Any], layer: str, name: str) -> str:
    found = [
        row["rows"] for row in report["tables"] if (row["layer"], row["name"]) == (layer, name)
    ]
    return "-" if not found or found[0] is None else f"{found[0]:,}"


def health_section(settings: Settings) -> None:
    """The verdict, a few numbers and every check, from the report `lakehouse status` prints."""
    st.header("Pipeline health")
    report = cached(settings, status_report)
    level = report["verdict"]["level"]
    show = st.error if level == FAIL else st.warning if level == WARN else st.success
    show(verdict_line(report))
    bronze_progress = next(
        (query for query in report["streaming"] if query["query"] == INGEST_QUERY), None
    )
    lag = sum(row["lag"] for row in report["kafka_partitions"])
    quarantine = report["quarantine"] or {"rows": 0}
    columns = st.columns(6)
    bronze_name = PurePosixPath(settings.lake.bronze_events_table).name
    columns[0].metric("Bronze events", _rows_of(report, "bronze", bronze_name))
    columns[1].metric("Silver events", _rows_of(report, *SILVER_EVENTS_TABLE.split(".")))
    columns[2].metric("Quarantined", f"{quarantine['rows']:,}")
    columns[3].metric("Kafka lag", f"{lag:,}" if report["kafka_partitions"] else "-")
    if bronze_progress is None:
        columns[4].metric("Last batch rows/s", "-")
        columns[5].metric("Last batch ms", "-")
    else:
        columns[4].metric("Last batch rows/s", f"{bronze_progress['processed_rows_per_second']:,}")
        columns[5].metric("Last batch ms", f"{bronze_progress['batch_duration_ms']:,}")
    st.dataframe(pd.DataFrame(report["verdict"]["checks"]), hide_index=True)
    st.caption(f"Environment {settings.env}; as of {report['at'][:19].replace('T', ' ')} UTC.")


def main() -> None:
    """The whole page."""
    st.set_page_config(page_title="Lakehouse", layout="wide")
    try:
        settings = load_settings()
    except ConfigError as error:
        st.error(f"error: {error}")
        st.stop()
    st.title("Lakehouse: what is being played")
    now_playing_section(settings)
    gold_sections(settings)
    health_section(settings)


main()
