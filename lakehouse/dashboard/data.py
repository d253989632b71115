"""What the dashboard shows, as DataFrames: recent plays from bronze (DuckDB's delta_scan over
the lake, titles from the reference files) and the metrics from gold in the DuckDB warehouse.

No Streamlit here: each piece is a plain function of the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from lakehouse.lake.object_store import duckdb_uri
from lakehouse.lake.tables import is_delta_table, lake_connection, query_warehouse
from lakehouse.settings import Settings

NOW_PLAYING_LIMIT = 50

RECENT_PLAYS_FILTER = "event_type = 'play' and event_at > $since and event_at <= $at"

PLAY_COUNT_SQL = f"select count(*) from delta_scan($bronze) where {RECENT_PLAYS_FILTER}"

NOW_PLAYING_SQL = f"""
with recent as (
    select * from delta_scan($bronze) where {RECENT_PLAYS_FILTER}
    order by event_at desc
    limit $limit
)

select
    recent.event_at as played_at,
    recent.user_id as listener,
    coalesce(tracks.track_title, recent.track_id) as track,
    coalesce(artists.artist_name, recent.artist_id) as artist,
    recent.device,
    recent.country
from recent
left join read_parquet($tracks) as tracks on recent.track_id = tracks.track_id
left join read_parquet($artists) as artists on recent.artist_id = artists.artist_id
order by recent.event_at desc
"""

TOP_TRACKS_SQL = """
select rank, track_title as track, artist_name as artist, play_count as plays,
    unique_listeners as listeners
from gold.top_tracks order by rank limit {limit}
"""

TOP_ARTISTS_SQL = """
select rank, artist_name as artist, play_count as plays, unique_listeners as listeners
from gold.top_artists order by rank limit {limit}
"""

DAILY_LISTENING_SQL = """
select
    -- Text, so a chart shows one bar per day rather than a time axis.
    cast(activity_date as varchar) as day,
    sum(plays) as plays,
    count(*) filter (where plays > 0) as listeners,
    round(sum(total_ms_played) / 3600000.0, 1) as hours_played
from gold.daily_user_stats
group by activity_date
order by activity_date
"""

DEVICE_MIX_SQL = """
select
    device,
    sum(plays) as plays,
    round(100.0 * sum(plays) / sum(sum(plays)) over (), 1) as percent_of_plays
from gold.device_usage
group by device
order by plays desc
"""


@dataclass(frozen=True)
class RecentPlays:
    """How many plays the last minutes saw, and the newest of them with titles and artists."""

    count: int
    latest: pd.DataFrame


def recent_plays(
    settings: Settings, at: datetime, minutes: int, limit: int = NOW_PLAYING_LIMIT
) -> RecentPlays | None:
    """The plays of the `minutes` before `at`; None when there is no bronze table yet."""
    reference = settings.reference_location.rstrip("/")
    window = {
        "bronze": duckdb_uri(settings.bronze_events_location),
        "since": at - timedelta(minutes=minutes),
        "at": at,
    }
    with lake_connection(settings) as connection:
        if not is_delta_table(connection, settings.bronze_events_location):
            return None
        counted = connection.execute(PLAY_COUNT_SQL, window).fetchone()
        latest = connection.execute(
            NOW_PLAYING_SQL,
            {
                **window,
                "tracks": duckdb_uri(f"{reference}/tracks.parquet"),
                "artists": duckdb_uri(f"{reference}/artists.parquet"),
                "limit": limit,
            },
        ).df()
    return RecentPlays(int(counted[0]) if counted else 0, latest)


def _gold(settings: Settings, sql: str) -> pd.DataFrame | None:
    """A gold query on the DuckDB warehouse; None before dbt has built the table."""
    if settings.warehouse.target != "duckdb":
        return None
    if not settings.path(settings.warehouse.duckdb_path).exists():
        return None
    try:
        columns, rows = query_warehouse(settings, sql)
    except duckdb.CatalogException:
        return None
    return pd.DataFrame(rows, columns=columns)


def top_tracks(settings: Settings, limit: int = 10) -> pd.DataFrame | None:
    """The most played tracks (gold.top_tracks)."""
    return _gold(settings, TOP_TRACKS_SQL.format(limit=int(limit)))


def top_artists(settings: Settings, limit: int = 10) -> pd.DataFrame | None:
    """The most played artists (gold.top_artists)."""
    return _gold(settings, TOP_ARTISTS_SQL.format(limit=int(limit)))


def daily_listening(settings: Settings) -> pd.DataFrame | None:
    """Plays, listeners and hours played per day (gold.daily_user_stats)."""
    return _gold(settings, DAILY_LISTENING_SQL)


def device_mix(settings: Settings) -> pd.DataFrame | None:
    """Plays per device and their share of all plays (gold.device_usage)."""
    return _gold(settings, DEVICE_MIX_SQL)
