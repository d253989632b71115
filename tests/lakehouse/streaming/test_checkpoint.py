"""The job's checkpoint names, its Delta app id, and the upgrade from two queries to one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.config import load_settings
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import (
    EARLIEST,
    INGEST_QUERY,
    LEGACY_BRONZE_QUERY,
    LEGACY_QUARANTINE_QUERY,
    UpgradeRefusedError,
    app_id,
    legacy_table_end,
    progress_checkpoints,
    query_id,
    starting_offsets_json,
    upgrade_starting_offsets,
)
from lakehouse.streaming.offsets import LocalCheckpointFiles
from lakehouse.streaming.offsets import TopicPartition as Partition

PLAYS_0, PLAYS_1, SKIPS_0 = Partition("plays", 0), Partition("plays", 1), Partition("skips", 0)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("LAKEHOUSE__LAKE__CHECKPOINT_ROOT", str(tmp_path / "checkpoints"))
    return load_settings()


def write_checkpoint(
    location: str, batches: dict[int, dict[str, dict[str, int]]], *, commits: int
) -> None:
    """A checkpoint as Spark writes it: metadata, offsets/N for each batch, commits/0..N-1."""
    root = Path(location)
    (root / "offsets").mkdir(parents=True)
    (root / "commits").mkdir()
    (root / "metadata").write_text(json.dumps({"id": f"id-of-{root.name}"}) + "\n")
    for batch, offsets in batches.items():
        (root / "offsets" / str(batch)).write_text(
            'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1}\n' + json.dumps(offsets) + "\n"
        )
    for batch in range(commits):
        (root / "commits" / str(batch)).write_text('v1\n{"nextBatchWatermarkMs":0}\n')


def test_progress_comes_from_the_one_query_unless_only_the_two_queries_ran(
    settings: Settings,
) -> None:
    files = LocalCheckpointFiles()
    own = settings.checkpoint_location(INGEST_QUERY)
    legacy = [
        settings.checkpoint_location(q) for q in (LEGACY_BRONZE_QUERY, LEGACY_QUARANTINE_QUERY)
    ]
    assert progress_checkpoints(settings, files) == [own]

    for location in legacy:
        write_checkpoint(location, {0: {"plays": {"0": 5}}}, commits=1)
    assert progress_checkpoints(settings, files) == legacy

    write_checkpoint(own, {}, commits=0)
    assert progress_checkpoints(settings, files) == [own]


def test_app_id_is_the_query_id_spark_keeps_in_the_checkpoint(settings: Settings) -> None:
    location = settings.checkpoint_location(INGEST_QUERY)
    write_checkpoint(location, {}, commits=0)
    assert query_id(LocalCheckpointFiles(), location) == f"id-of-{INGEST_QUERY}"
    assert app_id("3f2a") == "bronze_ingest-3f2a"


def test_a_legacy_table_ends_at_its_newest_committed_or_written_batch(settings: Settings) -> None:
    files = LocalCheckpointFiles()
    location = settings.checkpoint_location(LEGACY_BRONZE_QUERY)
    assert legacy_table_end(files, location, None) is None
    batches = {0: {"plays": {"0": 10}}, 1: {"plays": {"0": 25}}, 2: {"plays": {"0": 40}}}
    write_checkpoint(location, batches, commits=1)

    assert legacy_table_end(files, location, None) == {PLAYS_0: 10}
    # The Delta sink committed batch 2 to the table; the kill came before commits/1 and /2.
    assert legacy_table_end(files, location, 2) == {PLAYS_0: 40}
    assert legacy_table_end(files, location, 0) == {PLAYS_0: 10}


def test_the_one_query_starts_where_both_tables_end() -> None:
    ends = {PLAYS_0: 30, PLAYS_1: 12}
    partitions = [PLAYS_0, PLAYS_1, SKIPS_0]
    started = upgrade_starting_offsets(ends, dict(ends), partitions)
    assert started == {PLAYS_0: 30, PLAYS_1: 12, SKIPS_0: EARLIEST}
    assert starting_offsets_json(started) == ('{"plays": {"0": 30, "1": 12}, "skips": {"0": -2}}')


def test_tables_that_end_apart_are_refused_with_each_partition_and_what_to_run() -> None:
    with pytest.raises(UpgradeRefusedError) as refused:
        upgrade_starting_offsets({PLAYS_0: 30, PLAYS_1: 12}, {PLAYS_0: 20, PLAYS_1: 12}, [])
    message = str(refused.value)
    assert "  plays partition 0: bronze at offset 30, quarantine at offset 20" in message
    assert "plays partition 1" not in message
    assert "lakehouse ingest --trigger available-now" in message

    with pytest.raises(UpgradeRefusedError, match="bronze at offset 7, quarantine at nothing read"):
        upgrade_starting_offsets({SKIPS_0: 7}, None, [])
