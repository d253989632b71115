"""Reconcile Kafka, the bronze job's checkpoints and the lake, per partition (`lakehouse check`).

For every partition of the configured topics: the offsets Kafka holds, the offset the job
committed, and which offsets bronze and quarantine hold. Every offset the job has committed
must be in exactly one of the two tables, unless the job recorded it as lost to Kafka
retention (ingest.fail_on_data_loss: false). On a lake the two-query job wrote, before the
one query first runs, its two checkpoints count, and the one furthest behind decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from lakehouse.kafka.watermarks import Watermarks, count_messages, partition_watermarks
from lakehouse.lake.object_store import duckdb_uri
from lakehouse.lake.offsets import LakeOffsets, TableOffsets, lake_offsets, recorded_losses
from lakehouse.lake.tables import SILVER_EVENTS_TABLE, TableInfo, all_tables, lake_connection
from lakehouse.monitoring.findings import FAIL, OK, WARN, Finding, worst
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import checkpoint_files, progress_checkpoints
from lakehouse.streaming.offsets import (
    CheckpointProgress,
    OffsetRange,
    TopicPartition,
    data_loss_gaps,
    ingestion_start,
    next_to_read,
    offsets_covered,
    read_checkpoint,
    subtract_ranges,
)

EXIT_OK = 0
EXIT_PROBLEMS = 1

# A partition with nothing to say is OK, the findings' word; the others name the problem.
LAG = "LAG"
GAP = "GAP"
DUPLICATE = "DUPLICATE"
LOST = "LOST"


@dataclass(frozen=True)
class PartitionCheck:
    """The reconciliation of one topic-partition."""

    topic: str
    partition: int
    kafka_earliest: int | None
    kafka_end: int | None
    # The job's committed offset (the lowest of the two-query job's, before an upgrade).
    committed: int | None
    bronze: TableOffsets
    quarantine: TableOffsets
    # Offsets [checked_from, checked_until) are committed: each must be in bronze or
    # quarantine, or recorded as lost.
    checked_from: int
    checked_until: int
    duplicates: int
    missing: int
    deleted_not_recorded: int
    recorded_loss: int
    lag: int
    verdicts: tuple[str, ...]

    @property
    def gaps(self) -> int:
        """Offsets that will never reach the lake and are not recorded as lost."""
        return self.missing + self.deleted_not_recorded

    def as_json(self) -> dict[str, Any]:
        """Every number of the row, plus gaps and the verdicts."""
        return {**asdict(self), "gaps": self.gaps, "verdicts": list(self.verdicts)}


@dataclass(frozen=True)
class CheckReport:
    """The reconciliation of every partition, and whether it passes."""

    partitions: list[PartitionCheck]
    data_loss_location: str

    def findings(self, *, accept_recorded_loss: bool) -> list[Finding]:
        """One finding per partition: FAIL on a gap or a duplicate (or a recorded loss, unless
        accepted, then WARN); a lag is OK, the job has only not read it yet."""
        return [
            partition_finding(row, accept_recorded_loss=accept_recorded_loss)
            for row in self.partitions
        ]

    def failing(self, *, accept_recorded_loss: bool) -> list[PartitionCheck]:
        """Partitions with a gap or duplicate (or a recorded loss, unless accepted)."""
        findings = self.findings(accept_recorded_loss=accept_recorded_loss)
        return [
            row
            for row, finding in zip(self.partitions, findings, strict=True)
            if not finding.passed
        ]

    def exit_code(self, *, accept_recorded_loss: bool) -> int:
        """0 when nothing fails, 1 otherwise."""
        findings = self.findings(accept_recorded_loss=accept_recorded_loss)
        return EXIT_PROBLEMS if worst(finding.level for finding in findings) == FAIL else EXIT_OK


def partition_finding(row: PartitionCheck, *, accept_recorded_loss: bool) -> Finding:
    """A partition's verdicts as a finding: the verdicts are its message."""
    verdicts = set(row.verdicts)
    if verdicts & {GAP, DUPLICATE} or (LOST in verdicts and not accept_recorded_loss):
        level = FAIL
    elif LOST in verdicts:
        level = WARN
    else:
        level = OK
    return Finding(f"{row.topic}[{row.partition}]", level, ", ".join(row.verdicts))


def verdicts_of(duplicates: int, gaps: int, recorded_loss: int, lag: int) -> tuple[str, ...]:
    """The row's verdicts, worst first; OK alone when there is nothing to say."""
    found = [
        verdict
        for verdict, count in (
            (DUPLICATE, duplicates),
            (GAP, gaps),
            (LOST, recorded_loss),
            (LAG, lag),
        )
        if count > 0
    ]
    return tuple(found) or (OK,)


def _checkpoints(settings: Settings) -> list[CheckpointProgress | None]:
    files = checkpoint_files(settings)
    return [read_checkpoint(files, location) for location in progress_checkpoints(settings, files)]


def _committed_range(
    progresses: Sequence[CheckpointProgress | None], key: TopicPartition, starting_offsets: str
) -> tuple[int, int] | None:
    """[first offset meant for the lake, next offset of the sink furthest behind)."""
    starts = [ingestion_start(progress, key, starting_offsets) for progress in progresses]
    nexts = [next_to_read(progress, key, starting_offsets) for progress in progresses]
    known_starts = [start for start in starts if start is not None]
    known_nexts = [offset for offset in nexts if offset is not None]
    # A sink that will start at Kafka's latest offset has no range to be checked yet.
    if len(known_starts) < len(starts) or len(known_nexts) < len(nexts):
        return None
    start = min(known_starts)
    return start, max(start, min(known_nexts))


def check(settings: Settings) -> CheckReport:
    """Reconcile every partition of the configured topics: Kafka, checkpoints, lake."""
    topics = list(settings.kafka.topics.values())
    progress = _checkpoints(settings)
    starting = settings.ingest.starting_offsets
    watermarks = partition_watermarks(settings.kafka_bootstrap, topics)
    partitions = set(watermarks)
    for sink_progress in progress:
        if sink_progress is not None and sink_progress.committed is not None:
            partitions |= {key for key in sink_progress.committed if key.topic in topics}

    expected = {
        key: committed
        for key in partitions
        if (committed := _committed_range(progress, key, starting)) is not None
    }

    with lake_connection(settings) as connection:
        losses = recorded_losses(connection, settings.data_loss_location, topics)
        stats = lake_offsets(connection, settings, expected, losses)

    earliest = {key: marks.earliest for key, marks in watermarks.items()}
    pending = subtract_ranges(data_loss_gaps(progress, earliest, starting), losses)
    rows = [
        _partition_check(
            key,
            marks=watermarks.get(key),
            progress=progress,
            expected=expected.get(key),
            stats=stats.get(key),
            losses=losses,
            pending=pending,
        )
        # In the configuration's order of topics, as the job subscribes to them.
        for key in sorted(
            partitions | set(stats), key=lambda k: (topics.index(k.topic), k.partition)
        )
    ]
    return CheckReport(rows, settings.data_loss_location)


def _committed(progresses: Sequence[CheckpointProgress | None], key: TopicPartition) -> int | None:
    offsets = [
        progress.committed.get(key, 0)
        for progress in progresses
        if progress is not None and progress.committed is not None
    ]
    return min(offsets) if offsets and len(offsets) == len(progresses) else None


def _partition_check(
    key: TopicPartition,
    *,
    marks: Watermarks | None,
    progress: Sequence[CheckpointProgress | None],
    expected: tuple[int, int] | None,
    stats: LakeOffsets | None,
    losses: Sequence[OffsetRange],
    pending: Sequence[OffsetRange],
) -> PartitionCheck:
    stats = stats or LakeOffsets(TableOffsets(), TableOffsets(), 0, 0, 0)
    checked_from, checked_until = expected or (0, 0)
    own_losses = [loss for loss in losses if loss.topic_partition == key]
    lost_in_checked = offsets_covered(own_losses, checked_from, checked_until)
    # An offset both present and recorded as lost is present: it is not missing.
    lost_not_present = lost_in_checked - stats.committed_also_recorded_lost
    missing = (checked_until - checked_from) - stats.committed_present - lost_not_present
    deleted = sum(gap.records for gap in pending if gap.topic_partition == key)
    recorded = sum(loss.records for loss in own_losses)
    lag = 0
    if marks is not None and expected is not None:
        lag = max(0, marks.end - max(checked_until, marks.earliest))
    return PartitionCheck(
        topic=key.topic,
        partition=key.partition,
        kafka_earliest=marks.earliest if marks else None,
        kafka_end=marks.end if marks else None,
        committed=_committed(progress, key),
        bronze=stats.bronze,
        quarantine=stats.quarantine,
        checked_from=checked_from,
        checked_until=checked_until,
        duplicates=stats.duplicates,
        missing=missing,
        deleted_not_recorded=deleted,
        recorded_loss=recorded,
        lag=lag,
        verdicts=verdicts_of(stats.duplicates, missing + deleted, recorded, lag),
    )


@dataclass(frozen=True)
class Ledger:
    """The whole lake against Kafka: coordinates in bronze and quarantine, and how many."""

    in_kafka: int
    bronze: int
    quarantine: int
    distinct: int

    @property
    def lost(self) -> int:
        """Records in Kafka that are in neither table."""
        return self.in_kafka - self.distinct

    @property
    def duplicated(self) -> int:
        """Extra copies of a coordinate (in one table twice, or in both)."""
        return self.bronze + self.quarantine - self.distinct


def ledger(settings: Settings) -> Ledger:
    """Count what Kafka holds and what landed in bronze and quarantine, by coordinate."""
    in_kafka = count_messages(settings.kafka_bootstrap, settings.kafka.topics.values())
    with lake_connection(settings) as connection:
        row = connection.execute(
            """
            with landed as (
                select 'bronze' as sink, kafka_topic, kafka_partition, kafka_offset
                from delta_scan($bronze)
                union all
                select 'quarantine', kafka_topic, kafka_partition, kafka_offset
                from delta_scan($quarantine)
            )
            select
                count(*) filter (where sink = 'bronze'),
                count(*) filter (where sink = 'quarantine'),
                count(distinct (kafka_topic, kafka_partition, kafka_offset))
            from landed
            """,
            {
                "bronze": duckdb_uri(settings.bronze_events_location),
                "quarantine": duckdb_uri(settings.quarantine_location),
            },
        ).fetchone()
    assert row is not None
    return Ledger(in_kafka, int(row[0]), int(row[1]), int(row[2]))


@dataclass(frozen=True)
class LayerCounts:
    """Every layer's rows after a run, and the demo's checks of one layer against another."""

    produced: int
    tables: list[TableInfo]
    distinct_event_ids: int
    checks: list[tuple[str, int, int]]

    @property
    def reconciled(self) -> bool:
        """True when every check's two sides are equal."""
        return all(left == right for _, left, right in self.checks)


def layer_counts(settings: Settings) -> LayerCounts:
    """The ledger, then silver: bronze == Kafka, no quarantine, silver == distinct event ids."""
    counts = ledger(settings)
    tables = all_tables(settings)
    with lake_connection(settings) as connection:
        row = connection.execute(
            "select count(distinct event_id) from delta_scan(?)",
            [duckdb_uri(settings.bronze_events_location)],
        ).fetchone()
    distinct_ids = int(row[0]) if row else 0
    layer, name = SILVER_EVENTS_TABLE.split(".")
    silver = sum(table.rows or 0 for table in tables if (table.layer, table.name) == (layer, name))
    checks = [
        ("bronze rows == events in Kafka", counts.bronze, counts.in_kafka),
        ("quarantine rows == 0", counts.quarantine, 0),
        ("silver rows == distinct event ids", silver, distinct_ids),
    ]
    return LayerCounts(counts.in_kafka, tables, distinct_ids, checks)
