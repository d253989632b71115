"""Checkpoint offsets and data loss arithmetic, on small checkpoint folders built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.streaming.offsets import (
    CheckpointFormatError,
    CheckpointProgress,
    LocalCheckpointFiles,
    OffsetRange,
    TopicPartition,
    data_loss_failure_message,
    data_loss_gaps,
    ingestion_start,
    next_to_read,
    parse_initial_offsets_file,
    parse_offsets_file,
    read_checkpoint,
    subtract_ranges,
)

PLAYS_0 = TopicPartition("plays", 0)
PLAYS_1 = TopicPartition("plays", 1)
SKIPS_0 = TopicPartition("skips", 0)

METADATA = json.dumps({"batchWatermarkMs": 0, "batchTimestampMs": 1, "conf": {}})


def offsets_text(offsets: dict[str, dict[str, int]]) -> str:
    return f"v1\n{METADATA}\n{json.dumps(offsets)}"


def write_checkpoint(
    root: Path,
    batches: dict[int, dict[str, dict[str, int]]],
    committed: list[int],
    initial: dict[str, dict[str, int]] | None = None,
) -> str:
    """A checkpoint folder as Spark lays it out, with its .crc files next to the batches."""
    (root / "offsets").mkdir(parents=True)
    (root / "commits").mkdir()
    for batch, offsets in batches.items():
        (root / "offsets" / str(batch)).write_text(offsets_text(offsets))
        (root / "offsets" / f".{batch}.crc").write_bytes(b"crc")
    for batch in committed:
        (root / "commits" / str(batch)).write_text('v1\n{"nextBatchWatermarkMs":0}')
    if initial is not None:
        (root / "sources" / "0").mkdir(parents=True)
        (root / "sources" / "0" / "0").write_text("\x00v1\n" + json.dumps(initial))
    return str(root)


def test_an_offsets_file_gives_each_partitions_next_offset() -> None:
    text = offsets_text({"plays": {"0": 123, "1": 99}, "skips": {"0": 7}})
    assert parse_offsets_file(text) == {PLAYS_0: 123, PLAYS_1: 99, SKIPS_0: 7}


def test_a_source_without_offsets_is_written_as_a_dash() -> None:
    assert parse_offsets_file(f"v1\n{METADATA}\n-") == {}


def test_the_initial_offsets_file_starts_with_a_nul_byte() -> None:
    text = "\x00v1\n" + json.dumps({"plays": {"0": 5}})
    assert parse_initial_offsets_file(text) == {PLAYS_0: 5}


@pytest.mark.parametrize("text", ["", "v1", f"v1\n{METADATA}\n[1, 2]", "v1\nx\n{broken"])
def test_a_file_that_is_not_a_checkpoint_offsets_file_is_an_error(text: str) -> None:
    with pytest.raises(CheckpointFormatError):
        parse_offsets_file(text)


def test_no_checkpoint_folder_means_no_progress(tmp_path: Path) -> None:
    assert read_checkpoint(LocalCheckpointFiles(), str(tmp_path / "missing")) is None


def test_the_last_committed_batch_counts_not_an_uncommitted_one(tmp_path: Path) -> None:
    location = write_checkpoint(
        tmp_path / "sink",
        batches={
            0: {"plays": {"0": 10}},
            1: {"plays": {"0": 25}},
            2: {"plays": {"0": 40}},
            10: {"plays": {"0": 90}},
        },
        # Batch 10 was planned, not committed: Spark re-runs it from batch 2's end.
        committed=[0, 1, 2],
        initial={"plays": {"0": 0}},
    )
    progress = read_checkpoint(LocalCheckpointFiles(), location)
    assert progress == CheckpointProgress(
        committed={PLAYS_0: 40}, committed_batch=2, initial={PLAYS_0: 0}
    )


def test_a_checkpoint_with_no_committed_batch_has_only_its_start(tmp_path: Path) -> None:
    location = write_checkpoint(
        tmp_path / "sink",
        batches={0: {"plays": {"0": 10}}},
        committed=[],
        initial={"plays": {"0": 3}},
    )
    progress = read_checkpoint(LocalCheckpointFiles(), location)
    assert progress == CheckpointProgress(
        committed=None, committed_batch=None, initial={PLAYS_0: 3}
    )


def test_next_to_read_is_the_committed_offset_and_zero_for_new_partitions() -> None:
    progress = CheckpointProgress(committed={PLAYS_0: 40}, committed_batch=2, initial=None)
    assert next_to_read(progress, PLAYS_0, "earliest") == 40
    # A partition added after the last commit: Spark reads it from offset 0.
    assert next_to_read(progress, PLAYS_1, "latest") == 0


def test_before_any_commit_earliest_starts_at_zero_and_latest_at_the_first_run() -> None:
    started = CheckpointProgress(committed=None, committed_batch=None, initial={PLAYS_0: 500})
    assert next_to_read(None, PLAYS_0, "earliest") == 0
    assert next_to_read(started, PLAYS_0, "earliest") == 0
    assert next_to_read(started, PLAYS_0, "latest") == 500
    assert next_to_read(None, PLAYS_0, "latest") is None
    assert ingestion_start(started, PLAYS_1, "latest") == 0


def test_a_gap_runs_from_the_sink_furthest_behind_to_kafkas_earliest_offset() -> None:
    bronze = CheckpointProgress(
        committed={PLAYS_0: 100, PLAYS_1: 60}, committed_batch=4, initial=None
    )
    quarantine = CheckpointProgress(
        committed={PLAYS_0: 80, PLAYS_1: 60}, committed_batch=3, initial=None
    )
    earliest = {PLAYS_0: 150, PLAYS_1: 60, SKIPS_0: 0}
    gaps = data_loss_gaps([bronze, quarantine], earliest, "earliest")
    assert gaps == [OffsetRange("plays", 0, 80, 150)]
    assert gaps[0].records == 70


def test_a_first_run_with_earliest_loses_what_kafka_deleted_before_it() -> None:
    gaps = data_loss_gaps([None, None], {PLAYS_0: 20, PLAYS_1: 0}, "earliest")
    assert gaps == [OffsetRange("plays", 0, 0, 20)]


def test_a_first_run_with_latest_loses_nothing() -> None:
    assert data_loss_gaps([None, None], {PLAYS_0: 20}, "latest") == []


def test_recorded_ranges_are_subtracted_so_a_gap_is_recorded_once() -> None:
    gap = OffsetRange("plays", 0, 100, 200)
    recorded = [
        OffsetRange("plays", 0, 100, 120),
        OffsetRange("plays", 0, 150, 160),
        OffsetRange("plays", 1, 0, 1000),
    ]
    assert subtract_ranges([gap], recorded) == [
        OffsetRange("plays", 0, 120, 150),
        OffsetRange("plays", 0, 160, 200),
    ]
    assert subtract_ranges([gap], [gap]) == []
    assert subtract_ranges([gap], [OffsetRange("plays", 0, 0, 100)]) == [gap]


def test_the_failure_message_names_topic_partition_offsets_and_the_way_out() -> None:
    message = data_loss_failure_message(
        [OffsetRange("plays", 0, 100, 150), OffsetRange("likes", 2, 7, 8)]
    )
    assert (
        "plays partition 0: offsets 100-149 (50 records) were deleted by Kafka (retention) "
        "before they were ingested" in message
    )
    assert "likes partition 2: offset 7 (1 record) was deleted" in message
    assert "ingest.fail_on_data_loss: false" in message
    assert "LAKEHOUSE__INGEST__FAIL_ON_DATA_LOSS=false" in message
