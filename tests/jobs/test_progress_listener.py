"""The bronze job's progress listener: each progress reaches Python as one JSON text, with the
values PySpark's own field-by-field bridge gives (jobs/bronze_ingest.py, JsonProgressBridge)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.listener import StreamingQueryProgress

from jobs.bronze_ingest import JsonProgressBridge, ProgressPrinter
from lakehouse.reliability.harness import wait_for
from lakehouse.settings import Settings
from lakehouse.streaming.progress import progress_file

QUERY = "progress_probe"


def test_the_listener_gets_each_progress_as_json_with_pyspark_s_own_values(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = cast(Settings, SimpleNamespace(state_path=tmp_path))
    printer = ProgressPrinter(settings)
    assert printer._bridge is None
    spark.streams.addListener(printer)
    try:
        query = (
            spark.readStream.format("rate")
            .option("rowsPerSecond", 20)
            .load()
            # An observed metric, as the bronze writer's counts: the progress carries it.
            .observe("counts", F.count(F.lit(1)).alias("records"))
            .writeStream.format("noop")
            .queryName(QUERY)
            .trigger(processingTime="300 milliseconds")
            .start()
        )
        written = progress_file(settings, QUERY)
        try:
            assert wait_for(
                lambda: written.exists() and json.loads(written.read_text())["batchId"] >= 2, 60
            ), f"no progress with batch 2 in {written}"
        finally:
            query.stop()
        java_progress = query._jsq.lastProgress()
    finally:
        spark.streams.removeListener(printer)

    # The listener registered on the JVM is PySpark's wrapper around the JSON bridge.
    assert printer._bridge is not None
    assert "PythonStreamingQueryListenerWrapper" in printer._bridge.getClass().getName()

    # What the printer wrote and printed came through it.
    lines = re.findall(
        rf"\[ingest\] {QUERY}: batch (\d+): ([\d,]+) records", capsys.readouterr().out
    )
    batch_ids = [int(batch) for batch, _ in lines]
    assert batch_ids[:3] == [0, 1, 2]
    assert json.loads(written.read_text())["name"] == QUERY

    # The same progress through both bridges: every value the printer and status read.
    theirs = StreamingQueryProgress.fromJObject(java_progress)
    seen: list[StreamingQueryProgress] = []
    bridge = JsonProgressBridge(
        cast(ProgressPrinter, SimpleNamespace(onQueryProgress=lambda e: seen.append(e.progress)))
    )
    bridge.onQueryProgress(SimpleNamespace(progress=lambda: java_progress))
    ours = seen[0]
    assert (ours.id, ours.runId, ours.name, ours.batchId) == (
        theirs.id,
        theirs.runId,
        theirs.name,
        theirs.batchId,
    )
    assert (ours.numInputRows, ours.batchDuration, ours.timestamp) == (
        theirs.numInputRows,
        theirs.batchDuration,
        theirs.timestamp,
    )
    assert ours.durationMs == theirs.durationMs
    assert [s.endOffset for s in ours.sources] == [s.endOffset for s in theirs.sources]
    assert ours.observedMetrics["counts"]["records"] == theirs.observedMetrics["counts"]["records"]
    assert json.loads(ours.json) == json.loads(theirs.json)
