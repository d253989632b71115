"""The bronze job's last micro-batch progress per query, kept as a small JSON file.

Spark keeps a query's progress in the driver's memory only (checkpoints hold offsets and
commits, not rates or durations), so the job's listener writes each query's latest
`StreamingQueryProgress` JSON under the state folder, and `lakehouse status` and the
dashboard read it. The file is on the machine that runs the driver: a job on a cluster
(EMR) leaves nothing here, and status says so.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lakehouse.settings import Settings

PROGRESS_FOLDER = "streaming"


def progress_file(settings: Settings, query_name: str) -> Path:
    """Where the job keeps the last progress of one streaming query."""
    return settings.state_path / PROGRESS_FOLDER / f"{query_name}.last_progress.json"


def write_progress(path: Path, progress_json: str) -> None:
    """Replace the file atomically, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(progress_json, encoding="utf-8")
    partial.replace(path)


@dataclass(frozen=True)
class QueryProgress:
    """What an operator reads from a micro-batch: when, how much, how fast, how long."""

    query: str
    batch_id: int
    at: str
    input_rows: int
    input_rows_per_second: float
    processed_rows_per_second: float
    batch_duration_ms: int

    def as_json(self) -> dict[str, Any]:
        """The shape `lakehouse status --json` gives under `streaming`."""
        return asdict(self)


def _rate(value: Any) -> float:
    # Spark writes NaN (or leaves the field out) for a rate of a batch with no duration.
    rate = float(value) if value is not None else 0.0
    return 0.0 if math.isnan(rate) else round(rate, 1)


def parse_progress(query_name: str, text: str) -> QueryProgress:
    """The fields of a `StreamingQueryProgress.json` that status shows."""
    progress = json.loads(text)
    return QueryProgress(
        query=query_name,
        batch_id=int(progress["batchId"]),
        at=str(progress["timestamp"]),
        input_rows=int(progress.get("numInputRows", 0)),
        input_rows_per_second=_rate(progress.get("inputRowsPerSecond")),
        processed_rows_per_second=_rate(progress.get("processedRowsPerSecond")),
        batch_duration_ms=int(progress.get("batchDuration", 0)),
    )


def last_progress(settings: Settings, query_name: str) -> QueryProgress | None:
    """The query's last recorded micro-batch, or None when the job never ran here."""
    path = progress_file(settings, query_name)
    if not path.is_file():
        return None
    return parse_progress(query_name, path.read_text(encoding="utf-8"))
