"""The bronze job's last-progress file: written whole, read back as status shows it."""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.config import load_settings
from lakehouse.sandbox import sandbox_environment
from lakehouse.settings import Settings
from lakehouse.streaming.progress import (
    QueryProgress,
    last_progress,
    parse_progress,
    progress_file,
    write_progress,
)


def progress_json(batch_id: int, **fields: object) -> str:
    """A StreamingQueryProgress JSON as Spark writes it, trimmed to what status reads."""
    return json.dumps(
        {
            "name": "bronze_listening_events",
            "timestamp": "2026-11-23T10:15:30.123Z",
            "batchId": batch_id,
            "batchDuration": 2500,
            "numInputRows": 1200,
            "inputRowsPerSecond": 480.04,
            "processedRowsPerSecond": 512.44,
            "durationMs": {"addBatch": 2100, "triggerExecution": 2500},
            **fields,
        }
    )


def sandbox(tmp_path: Path) -> Settings:
    return load_settings(environ=sandbox_environment(tmp_path))


def test_the_last_progress_is_read_back_with_its_rates(tmp_path: Path) -> None:
    settings = sandbox(tmp_path)
    assert last_progress(settings, "bronze_listening_events") is None
    path = progress_file(settings, "bronze_listening_events")
    write_progress(path, progress_json(6))
    write_progress(path, progress_json(7))
    assert path.parent == settings.state_path / "streaming"
    assert [child.name for child in path.parent.iterdir()] == [path.name]
    assert last_progress(settings, "bronze_listening_events") == QueryProgress(
        query="bronze_listening_events",
        batch_id=7,
        at="2026-11-23T10:15:30.123Z",
        input_rows=1200,
        input_rows_per_second=480.0,
        processed_rows_per_second=512.4,
        batch_duration_ms=2500,
    )


def test_rates_spark_leaves_out_or_writes_as_nan_are_zero() -> None:
    text = progress_json(0, numInputRows=0, processedRowsPerSecond=float("nan"))
    without_rate = json.loads(text)
    del without_rate["inputRowsPerSecond"]
    progress = parse_progress("quarantine_events", json.dumps(without_rate))
    assert (progress.query, progress.input_rows) == ("quarantine_events", 0)
    assert progress.input_rows_per_second == 0.0
    assert progress.processed_rows_per_second == 0.0
