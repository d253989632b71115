"""The bronze job's streaming checkpoint: its name, and the upgrade from two queries to one.

No Spark here, so every command can import it (`lakehouse check`, `status`, the DAGs).

The job is one streaming query, `bronze_ingest`, with one checkpoint under
lake.checkpoint_root. Its micro-batch writes bronze and quarantine, each a Delta idempotent
write: the commit records the app id `app_id` with the batch id as its version.

Before it, the job ran two queries, `bronze_listening_events` and `quarantine_events`, each
with its own checkpoint and Delta sink. A lake they wrote carries on under the one query:
it starts at the offsets where both old sinks' tables end, or refuses to start when they
end at different offsets (`upgrade_starting_offsets`). The old checkpoints are only read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from lakehouse.lake.object_store import S3CheckpointFiles, is_s3
from lakehouse.settings import Settings
from lakehouse.streaming.offsets import (
    CheckpointFiles,
    CheckpointFormatError,
    LocalCheckpointFiles,
    PartitionOffsets,
    TopicPartition,
    parse_offsets_file,
    read_checkpoint,
)

INGEST_QUERY = "bronze_ingest"
LEGACY_BRONZE_QUERY = "bronze_listening_events"
LEGACY_QUARANTINE_QUERY = "quarantine_events"
LEGACY_QUERIES = (LEGACY_BRONZE_QUERY, LEGACY_QUARANTINE_QUERY)

# Spark's Kafka source reads a partition given this offset from the earliest one Kafka holds.
EARLIEST = -2


class UpgradeRefusedError(Exception):
    """The two-query checkpoints cannot be continued exactly; the message says what to run."""


def checkpoint_files(settings: Settings) -> CheckpointFiles:
    """Read access to the checkpoints where lake.checkpoint_root puts them: disk or S3."""
    if is_s3(settings.location(settings.lake.checkpoint_root)):
        return S3CheckpointFiles(settings.s3)
    return LocalCheckpointFiles()


def ingest_checkpoint(settings: Settings) -> str:
    """Where the job's one checkpoint lives."""
    return settings.checkpoint_location(INGEST_QUERY)


def legacy_checkpoints(settings: Settings) -> dict[str, str]:
    """The two-query job's checkpoints, by query name."""
    return {query: settings.checkpoint_location(query) for query in LEGACY_QUERIES}


def has_checkpoint(files: CheckpointFiles, location: str) -> bool:
    """True once Spark has started a query on the checkpoint (it wrote the query id)."""
    return "metadata" in files.list_names(location.rstrip("/"))


def progress_checkpoints(settings: Settings, files: CheckpointFiles) -> list[str]:
    """The checkpoints whose offsets say what the lake holds.

    The job's own, except on a lake the two-query job wrote that the one query has not
    started on yet: then both old ones, and the sink furthest behind decides.
    """
    own = ingest_checkpoint(settings)
    legacy = list(legacy_checkpoints(settings).values())
    if not has_checkpoint(files, own) and any(has_checkpoint(files, old) for old in legacy):
        return legacy
    return [own]


def query_id(files: CheckpointFiles, location: str) -> str:
    """The query id Spark keeps in the checkpoint's `metadata` file ({"id": "..."})."""
    text = files.read_text(f"{location.rstrip('/')}/metadata")
    try:
        return str(json.loads(text.splitlines()[0])["id"])
    except (IndexError, KeyError, ValueError) as error:
        raise CheckpointFormatError(f"no query id in {location}/metadata: {text!r}") from error


def app_id(query: str) -> str:
    """The app id of the job's idempotent Delta writes (Delta's txnAppId): fixed for a
    checkpoint, new when it is reset."""
    return f"{INGEST_QUERY}-{query}"


def legacy_table_end(
    files: CheckpointFiles, location: str, written_batch: int | None
) -> PartitionOffsets | None:
    """End offsets of the newest batch an old sink's table holds; None if it holds none.

    The Delta sink commits the table before Spark marks the batch committed, so a kill in
    between leaves the table one batch ahead of `commits/`: `written_batch` (the table's
    transaction version for the old query id) says so.
    """
    progress = read_checkpoint(files, location)
    committed = progress.committed_batch if progress is not None else None
    batches = [batch for batch in (committed, written_batch) if batch is not None]
    if not batches:
        return None
    return parse_offsets_file(files.read_text(f"{location.rstrip('/')}/offsets/{max(batches)}"))


def upgrade_starting_offsets(
    bronze_end: PartitionOffsets | None,
    quarantine_end: PartitionOffsets | None,
    partitions: Iterable[TopicPartition],
) -> PartitionOffsets:
    """Where the one query starts on a lake the two-query job wrote: where both tables end.

    Partitions neither old sink has read start at Kafka's earliest offset, as the old job
    would have read them. Raises UpgradeRefusedError when the two tables end apart: starting
    at either end would lose records in one table or write them twice in the other.
    """
    bronze, quarantine = bronze_end or {}, quarantine_end or {}
    differing = sorted(
        (key, bronze.get(key), quarantine.get(key))
        for key in set(bronze) | set(quarantine)
        if bronze.get(key) != quarantine.get(key)
    )
    if differing:
        raise UpgradeRefusedError(_refusal(differing))
    return {key: bronze.get(key, EARLIEST) for key in sorted(set(partitions) | set(bronze))}


def starting_offsets_json(offsets: Mapping[TopicPartition, int]) -> str:
    """Offsets as the Kafka source's startingOffsets option: {"topic": {"0": 12}}."""
    by_topic: dict[str, dict[str, int]] = {}
    for key, offset in sorted(offsets.items()):
        by_topic.setdefault(key.topic, {})[str(key.partition)] = offset
    return json.dumps(by_topic, sort_keys=True)


def _refusal(differing: list[tuple[TopicPartition, int | None, int | None]]) -> str:
    def offset(value: int | None) -> str:
        return "nothing read" if value is None else f"offset {value:,}"

    lines = [
        "this lake was written by the two-query bronze job, and its two sinks stopped at "
        "different Kafka offsets:",
        *(
            f"  {key.topic} partition {key.partition}: bronze at {offset(bronze)}, "
            f"quarantine at {offset(quarantine)}"
            for key, bronze, quarantine in differing
        ),
        "The one-query job starts where both tables end, or it would lose records in one "
        "table or write them twice in the other. To make them agree, pause the producers and "
        "run the previous release's job once more until it stops: `git checkout c13c3c8 && "
        "lakehouse ingest --trigger available-now` (both sinks then read to Kafka's end), "
        "then come back to this release and start the ingest again.",
    ]
    return "\n".join(lines)
