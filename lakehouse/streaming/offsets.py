"""Kafka offsets of the bronze job: what its checkpoints committed, and what Kafka lost.

No Spark and no Kafka here: the job and `lakehouse check` read the checkpoint files and
ask Kafka, then hand what they found to these functions.

A Structured Streaming checkpoint keeps, per micro-batch N, `offsets/N` (written when the
batch is planned: "v1", a metadata JSON line, then one line per source with the offsets
the batch reads up to, e.g. {"plays":{"0":123}}) and `commits/N` (written once the sink
has the batch). Only committed batches count: Spark re-runs an uncommitted last batch from
the previous batch's end. `sources/0/0` holds where the query first started (a NUL byte,
"v1", then the offsets JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol


class TopicPartition(NamedTuple):
    """One Kafka partition of one topic."""

    topic: str
    partition: int


PartitionOffsets = dict[TopicPartition, int]


class CheckpointFormatError(ValueError):
    """A checkpoint file does not have the shape Spark writes."""


class CheckpointFiles(Protocol):
    """Read access to a checkpoint's files, local or on a Hadoop file system."""

    def list_names(self, folder: str) -> list[str]:
        """Names of the files in a folder; empty when the folder does not exist."""
        ...

    def read_text(self, path: str) -> str:
        """The whole file as text."""
        ...


class LocalCheckpointFiles:
    """Checkpoint files on the local disk."""

    def list_names(self, folder: str) -> list[str]:
        """Names of the files in a folder; empty when the folder does not exist."""
        path = Path(folder)
        return [child.name for child in path.iterdir()] if path.is_dir() else []

    def read_text(self, path: str) -> str:
        """The whole file as text."""
        return Path(path).read_text(encoding="utf-8")


@dataclass(frozen=True)
class CheckpointProgress:
    """What one sink's checkpoint says about the Kafka offsets it has read."""

    # End offsets (exclusive) of the last committed batch; None before the first commit.
    committed: PartitionOffsets | None
    committed_batch: int | None
    # Where the query first started (sources/0/0); None when Spark has not written it.
    initial: PartitionOffsets | None


@dataclass(frozen=True, order=True)
class OffsetRange:
    """Offsets [from_offset, to_offset_exclusive) of one topic-partition."""

    topic: str
    partition: int
    from_offset: int
    to_offset_exclusive: int

    @property
    def records(self) -> int:
        """How many offsets the range holds."""
        return self.to_offset_exclusive - self.from_offset

    @property
    def topic_partition(self) -> TopicPartition:
        """The topic-partition of the range."""
        return TopicPartition(self.topic, self.partition)

    def describe(self) -> str:
        """e.g. `plays partition 0: offsets 100-149 (50 records)`."""
        last = self.to_offset_exclusive - 1
        offsets = f"offset {last}" if self.records == 1 else f"offsets {self.from_offset}-{last}"
        noun = "record" if self.records == 1 else "records"
        return f"{self.topic} partition {self.partition}: {offsets} ({self.records} {noun})"


def parse_source_offsets(line: str) -> PartitionOffsets:
    """One source's offsets JSON ({"topic": {"partition": offset}}) keyed by topic-partition."""
    try:
        loaded = json.loads(line)
    except json.JSONDecodeError as error:
        raise CheckpointFormatError(f"not Kafka source offsets: {line!r}") from error
    if not isinstance(loaded, dict):
        raise CheckpointFormatError(f"not Kafka source offsets: {line!r}")
    offsets: PartitionOffsets = {}
    for topic, partitions in loaded.items():
        if not isinstance(partitions, dict):
            raise CheckpointFormatError(f"not Kafka source offsets: {line!r}")
        for partition, offset in partitions.items():
            offsets[TopicPartition(topic, int(partition))] = int(offset)
    return offsets


def parse_offsets_file(text: str) -> PartitionOffsets:
    """The Kafka offsets an `offsets/<batch>` file says the batch reads up to."""
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith("v"):
        raise CheckpointFormatError("an offsets file starts with a version line and metadata")
    offsets: PartitionOffsets = {}
    # One line per source, "-" for a source without offsets yet; this job has one source.
    for line in lines[2:]:
        if line.strip() and line.strip() != "-":
            offsets.update(parse_source_offsets(line))
    return offsets


def parse_initial_offsets_file(text: str) -> PartitionOffsets:
    """The offsets in `sources/0/0`, where the Kafka source first started."""
    # Spark writes a NUL byte first, for compatibility with Spark 2.1.0's format.
    lines = text.lstrip("\x00").splitlines()
    if len(lines) < 2 or not lines[0].startswith("v"):
        raise CheckpointFormatError("an initial offsets file holds a version line and offsets")
    return parse_source_offsets(lines[1])


def _batch_ids(names: Iterable[str]) -> set[int]:
    # Spark keeps .crc and temporary files next to the batch files; only numbers are batches.
    return {int(name) for name in names if name.isdigit()}


def read_checkpoint(files: CheckpointFiles, location: str) -> CheckpointProgress | None:
    """The progress a sink's checkpoint records, or None when there is no checkpoint."""
    root = location.rstrip("/")
    planned = _batch_ids(files.list_names(f"{root}/offsets"))
    committed = planned & _batch_ids(files.list_names(f"{root}/commits"))
    has_initial = "0" in files.list_names(f"{root}/sources/0")
    if not planned and not has_initial:
        return None
    initial = (
        parse_initial_offsets_file(files.read_text(f"{root}/sources/0/0")) if has_initial else None
    )
    if not committed:
        return CheckpointProgress(committed=None, committed_batch=None, initial=initial)
    batch = max(committed)
    offsets = parse_offsets_file(files.read_text(f"{root}/offsets/{batch}"))
    return CheckpointProgress(committed=offsets, committed_batch=batch, initial=initial)


def ingestion_start(
    progress: CheckpointProgress | None, partition: TopicPartition, starting_offsets: str
) -> int | None:
    """The first offset the lake is meant to hold for a partition; None when not decided yet."""
    if starting_offsets == "earliest":
        return 0
    if progress is None or progress.initial is None:
        return None
    # A partition the first run did not see was added later; Spark reads those from 0.
    return progress.initial.get(partition, 0)


def next_to_read(
    progress: CheckpointProgress | None, partition: TopicPartition, starting_offsets: str
) -> int | None:
    """The offset the sink reads next on a partition; None when Spark will start at latest."""
    if progress is not None and progress.committed is not None:
        # Partitions missing from the committed offsets are new; Spark reads them from 0.
        return progress.committed.get(partition, 0)
    return ingestion_start(progress, partition, starting_offsets)


def data_loss_gaps(
    progresses: Sequence[CheckpointProgress | None],
    earliest: Mapping[TopicPartition, int],
    starting_offsets: str,
) -> list[OffsetRange]:
    """Offsets some sink still has to read that Kafka no longer holds (deleted by retention)."""
    gaps = []
    for partition, earliest_offset in sorted(earliest.items()):
        starts = [next_to_read(progress, partition, starting_offsets) for progress in progresses]
        known = [start for start in starts if start is not None]
        if not known:
            continue
        # The sink furthest behind decides: it has not read what the other one may have.
        start = min(known)
        if earliest_offset > start:
            gaps.append(OffsetRange(partition.topic, partition.partition, start, earliest_offset))
    return gaps


def subtract_ranges(
    ranges: Iterable[OffsetRange], known: Iterable[OffsetRange]
) -> list[OffsetRange]:
    """The parts of `ranges` that no range in `known` covers (same topic-partition)."""
    by_partition: dict[TopicPartition, list[OffsetRange]] = {}
    for covered in known:
        by_partition.setdefault(covered.topic_partition, []).append(covered)
    remaining: list[OffsetRange] = []
    for candidate in ranges:
        pieces = [candidate]
        for covered in sorted(by_partition.get(candidate.topic_partition, [])):
            next_pieces = []
            for piece in pieces:
                if piece.from_offset < covered.from_offset:
                    end = min(piece.to_offset_exclusive, covered.from_offset)
                    next_pieces.append(_with_bounds(piece, piece.from_offset, end))
                if piece.to_offset_exclusive > covered.to_offset_exclusive:
                    start = max(piece.from_offset, covered.to_offset_exclusive)
                    next_pieces.append(_with_bounds(piece, start, piece.to_offset_exclusive))
            pieces = next_pieces
        remaining.extend(pieces)
    return remaining


def offsets_covered(ranges: Iterable[OffsetRange], start: int, end: int) -> int:
    """How many offsets in [start, end) the ranges cover, each offset counted once."""
    covered = 0
    reached = start
    for candidate in sorted(ranges, key=lambda r: r.from_offset):
        low = max(candidate.from_offset, reached)
        high = min(candidate.to_offset_exclusive, end)
        if high > low:
            covered += high - low
            reached = high
    return covered


def _with_bounds(template: OffsetRange, start: int, end: int) -> OffsetRange:
    return OffsetRange(template.topic, template.partition, start, end)


def _deleted_before_ingested(records: int) -> str:
    if records == 1:
        return "was deleted by Kafka (retention) before it was ingested"
    return "were deleted by Kafka (retention) before they were ingested"


def data_loss_failure_message(gaps: Sequence[OffsetRange]) -> str:
    """Why the job refuses to start, and the two ways forward."""
    lines = [
        "Kafka deleted records before they were ingested (retention ran ahead of the job):",
        *(f"  {gap.describe()} {_deleted_before_ingested(gap.records)}" for gap in gaps),
        "Nothing was written. Either raise the topics' retention (retention.ms) and ingest more "
        "often, or accept the loss: set ingest.fail_on_data_loss: false in conf/<env>.yaml "
        "(or LAKEHOUSE__INGEST__FAIL_ON_DATA_LOSS=false) and run the ingest again; the loss is "
        "then recorded in the data loss table and the job continues from the earliest offset "
        "Kafka holds.",
    ]
    return "\n".join(lines)


def data_loss_warning_message(
    gaps: Sequence[OffsetRange], recorded: Sequence[OffsetRange], table: str
) -> str:
    """What the job skips because fail_on_data_loss is off, and where it is recorded."""
    lines = ["WARNING: Kafka deleted records before they were ingested; skipping them:"]
    lines += [f"  {gap.describe()}" for gap in gaps]
    if recorded:
        lines.append(f"Recorded {len(recorded)} new data loss row(s) in {table}.")
    else:
        lines.append(f"Already recorded in {table}.")
    return "\n".join(lines)
