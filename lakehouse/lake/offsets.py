"""What the lake holds of each Kafka partition: bronze and quarantine offsets, recorded losses.

Read with DuckDB over delta_scan, counted in SQL: the tables can hold millions of offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from lakehouse.lake.object_store import duckdb_uri
from lakehouse.lake.tables import is_delta_table
from lakehouse.settings import Settings
from lakehouse.streaming.offsets import OffsetRange, TopicPartition


@dataclass(frozen=True)
class TableOffsets:
    """What one table holds of one partition."""

    rows: int = 0
    distinct_offsets: int = 0
    min_offset: int | None = None
    max_offset: int | None = None


# Stands in for a table that does not exist yet, so the query keeps one shape.
NO_OFFSETS_SQL = (
    "select null::varchar as kafka_topic, null::integer as kafka_partition, "
    "null::bigint as kafka_offset where false"
)


def _offsets_source(connection: duckdb.DuckDBPyConnection, location: str) -> tuple[str, list[str]]:
    if not is_delta_table(connection, location):
        return NO_OFFSETS_SQL, []
    sql = "select kafka_topic, kafka_partition, kafka_offset from delta_scan(?)"
    return sql, [duckdb_uri(location)]


# Per partition: rows, distinct offsets, min and max of each table; distinct offsets over
# both; and, within the committed range, distinct offsets present and those also in a
# recorded loss (present after all, so not lost).
STATS_SQL = """
with
    bronze as ({bronze}),
    quarantine as ({quarantine}),
    present as (
        select 'bronze' as sink, * from bronze
        union all
        select 'quarantine' as sink, * from quarantine
    ),
    scoped as (
        select present.*, expected.checked_from, expected.checked_until
        from present
        left join expected using (kafka_topic, kafka_partition)
        where present.kafka_topic in (select kafka_topic from configured_topics)
    ),
    committed_present as (
        select * from scoped
        where kafka_offset >= checked_from and kafka_offset < checked_until
    ),
    also_recorded_lost as (
        select committed_present.kafka_topic, committed_present.kafka_partition,
            count(distinct committed_present.kafka_offset) as offsets
        from committed_present
        inner join losses
            on committed_present.kafka_topic = losses.kafka_topic
            and committed_present.kafka_partition = losses.kafka_partition
            and committed_present.kafka_offset >= losses.from_offset
            and committed_present.kafka_offset < losses.to_offset_exclusive
        group by all
    ),
    committed_counts as (
        select kafka_topic, kafka_partition, count(distinct kafka_offset) as offsets
        from committed_present
        group by all
    ),
    table_counts as (
        select
            kafka_topic,
            kafka_partition,
            count(*) filter (where sink = 'bronze') as bronze_rows,
            count(distinct kafka_offset) filter (where sink = 'bronze') as bronze_offsets,
            min(kafka_offset) filter (where sink = 'bronze') as bronze_min,
            max(kafka_offset) filter (where sink = 'bronze') as bronze_max,
            count(*) filter (where sink = 'quarantine') as quarantine_rows,
            count(distinct kafka_offset) filter (where sink = 'quarantine') as quarantine_offsets,
            min(kafka_offset) filter (where sink = 'quarantine') as quarantine_min,
            max(kafka_offset) filter (where sink = 'quarantine') as quarantine_max,
            count(*) as all_rows,
            count(distinct kafka_offset) as all_offsets
        from scoped
        group by all
    )
select
    table_counts.*,
    coalesce(committed_counts.offsets, 0) as committed_offsets_present,
    coalesce(also_recorded_lost.offsets, 0) as committed_offsets_also_recorded_lost
from table_counts
left join committed_counts using (kafka_topic, kafka_partition)
left join also_recorded_lost using (kafka_topic, kafka_partition)
"""


@dataclass(frozen=True)
class LakeOffsets:
    """What bronze and quarantine hold of one partition, and how it fits the committed range."""

    bronze: TableOffsets
    quarantine: TableOffsets
    duplicates: int
    committed_present: int
    committed_also_recorded_lost: int


def lake_offsets(
    connection: duckdb.DuckDBPyConnection,
    settings: Settings,
    expected: Mapping[TopicPartition, tuple[int, int]],
    losses: Sequence[OffsetRange],
) -> dict[TopicPartition, LakeOffsets]:
    """Per partition of the configured topics: what the tables hold, counted in DuckDB."""
    connection.execute("create temp table configured_topics (kafka_topic varchar)")
    connection.executemany(
        "insert into configured_topics values (?)",
        [[topic] for topic in settings.kafka.topics.values()],
    )
    connection.execute(
        "create temp table expected (kafka_topic varchar, kafka_partition integer, "
        "checked_from bigint, checked_until bigint)"
    )
    if expected:
        connection.executemany(
            "insert into expected values (?, ?, ?, ?)",
            [[key.topic, key.partition, start, end] for key, (start, end) in expected.items()],
        )
    connection.execute(
        "create temp table losses (kafka_topic varchar, kafka_partition integer, "
        "from_offset bigint, to_offset_exclusive bigint)"
    )
    if losses:
        connection.executemany(
            "insert into losses values (?, ?, ?, ?)",
            [[r.topic, r.partition, r.from_offset, r.to_offset_exclusive] for r in losses],
        )
    bronze_sql, bronze_params = _offsets_source(connection, settings.bronze_events_location)
    quarantine_sql, quarantine_params = _offsets_source(connection, settings.quarantine_location)
    sql = STATS_SQL.format(bronze=bronze_sql, quarantine=quarantine_sql)
    result = connection.execute(sql, [*bronze_params, *quarantine_params])
    columns = [column[0] for column in result.description or []]
    stats = {}
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        stats[TopicPartition(row["kafka_topic"], row["kafka_partition"])] = LakeOffsets(
            bronze=TableOffsets(
                row["bronze_rows"], row["bronze_offsets"], row["bronze_min"], row["bronze_max"]
            ),
            quarantine=TableOffsets(
                row["quarantine_rows"],
                row["quarantine_offsets"],
                row["quarantine_min"],
                row["quarantine_max"],
            ),
            duplicates=row["all_rows"] - row["all_offsets"],
            committed_present=row["committed_offsets_present"],
            committed_also_recorded_lost=row["committed_offsets_also_recorded_lost"],
        )
    return stats


def recorded_losses(
    connection: duckdb.DuckDBPyConnection, location: str, topics: Sequence[str]
) -> list[OffsetRange]:
    """The ranges the data loss table records for the topics (none before the first loss)."""
    if not is_delta_table(connection, location):
        return []
    rows = connection.execute(
        "select kafka_topic, kafka_partition, from_offset, to_offset_exclusive "
        "from delta_scan(?) where list_contains(?, kafka_topic)",
        [duckdb_uri(location), list(topics)],
    ).fetchall()
    return [OffsetRange(str(t), int(p), int(start), int(end)) for t, p, start, end in rows]
