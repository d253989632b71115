"""The micro-batch figures: read from the bronze job's own progress lines, summarized, and
written into the benchmark page."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bench.batch_cost import Batch, batches_in_log, summarize
from bench.report import batch_cost_section, limits_section
from jobs.bronze_ingest import ProgressPrinter
from lakehouse.settings import Settings


def progress_event(batch_id: int, rows: int, milliseconds: int) -> Any:
    """What PySpark hands the listener, with the fields the printer reads."""
    durations = {"addBatch": milliseconds - 50, "queryPlanning": 20, "walCommit": 10}
    progress = SimpleNamespace(
        name="bronze_ingest",
        batchId=batch_id,
        numInputRows=rows,
        batchDuration=milliseconds,
        durationMs=durations,
        json=json.dumps({"batchId": batch_id}),
    )
    return SimpleNamespace(progress=progress)


def test_the_job_s_progress_lines_read_back_as_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printer = ProgressPrinter(cast(Settings, SimpleNamespace(state_path=tmp_path)))
    printer.onQueryProgress(progress_event(0, 2_000, 12_340))
    printer.onQueryProgress(progress_event(1, 0, 400))  # an idle continuous trigger
    printer.onQueryProgress(progress_event(2, 1_998, 2_260))
    print("[ingest] batch 2: 1,998 to bronze, 0 to quarantine (read + parse ...)")

    assert batches_in_log(capsys.readouterr().out) == [
        Batch(batch_id=0, records=2_000, seconds=12.3, add_batch_ms=12_290),
        Batch(batch_id=2, records=1_998, seconds=2.3, add_batch_ms=2_210),
    ]


def test_the_summary_leaves_out_the_warm_up_and_partial_batches() -> None:
    def run(*seconds: float, last_records: int = 2_000) -> list[Batch]:
        batches = [Batch(i, 2_000, s, int(s * 900)) for i, s in enumerate(seconds)]
        batches[-1] = Batch(len(seconds) - 1, last_records, seconds[-1], int(seconds[-1] * 900))
        return batches

    runs = [
        run(14.0, 5.0, 4.0, 2.0, 3.0, 2.5, 0.4, last_records=12),
        run(16.0, 6.0, 4.5, 2.2, 2.4, 9.0),
    ]
    cost = summarize("Delta auto compaction", "true", True, runs)

    # Batches 0-2 of each run are the warm-up; the first run's last batch held 12 records.
    assert cost.batches == 6
    assert cost.median_seconds == 2.45  # of 2.0, 2.2, 2.4, 2.5, 3.0, 9.0
    assert cost.p90_seconds == 9.0
    assert cost.first_batch_seconds == 15.0
    assert cost.records_per_batch == 2_000
    assert cost.median_add_batch_ms == (2_160 + 2_250) / 2  # 900 ms a second, as built


def cost_row(setting: str, configured: bool, median: float) -> dict[str, Any]:
    return {
        "lever": "Delta auto compaction",
        "setting": setting,
        "configured": configured,
        "batches": 34,
        "records_per_batch": 2_000,
        "median_seconds": median,
        "p90_seconds": median + 1,
        "median_add_batch_ms": median * 900,
        "first_batch_seconds": 15.0,
    }


def test_the_page_has_a_row_per_setting_and_says_what_bounds_the_delay() -> None:
    rows = [cost_row("true", True, 2.75), cost_row("false", False, 2.3)]
    page = "\n".join(batch_cost_section(rows))
    assert "| Delta auto compaction | true (configured) | 34 | 2.75 | 3.75 | 2,475 | 15.0 |" in page
    assert "| Delta auto compaction | false | 34 | 2.30 | 3.30 | 2,070 | 15.0 |" in page
    assert batch_cost_section(None) == []

    measures = [
        {"events_per_second": 600_000},
        {"events_per_second": 40_000},
        {
            "records": 2_000_000,
            "seconds": 100.0,
            "events_per_second": 20_000,
            "wall_seconds": 110.0,
            "jit_seconds": 55.0,
            "c2_seconds": 44.0,
        },
    ]
    batches = [
        {"batch_id": 0, "records": 500_000, "seconds": 41.0, "add_batch_ms": 40_000},
        *(
            {"batch_id": i, "records": 500_000, "seconds": s, "add_batch_ms": 1}
            for i, s in ((1, 17.9), (2, 15.8), (3, 17.0))
        ),
        {"batch_id": 4, "records": 19, "seconds": 1.4, "add_batch_ms": 1},
    ]
    profile = {"records": 500_000, "read": 3.0, "read_parse": 9.0, "bronze_pass": 20.0}
    results = {
        "drain": {"measures": measures, "bronze_batches": batches, "profile": profile},
        "freshness": {"p95": 24.5, "rate": 10_000},
        "dbt": {"incremental_share": 0.05},
        "batch_cost": rows,
        "machine": {"cores": 2},
    }
    profile["job_batch"] = 20.0
    limits = "\n".join(limits_section(results))
    assert "It took 41.0 s against 17.0 s for each later one of the same size" in limits
    assert "24.0 s of its 100.0 s" in limits
    # 41 + 17.9 + 15.8 + 17 + 1.4 s in micro-batches; the rest of the 100 s is between them.
    assert (
        "The drain's 5 micro-batches (the first one longer than the rest: the warm-up, below) "
        "took 93.1 s of its 100.0 s" in limits
    )
    assert "the other 6.9 s is the streaming query's own work between batches" in limits
    assert "Over the job's 110.0 s from launch to exit, its JVM compiled for 55.0 s" in limits
    assert "(44.0 s of it in C2," in limits
    assert "fast machine code): 25% of the CPU time 2 cores give in that time" in limits
    assert "A batch of 2,000 records takes 2.75 s (median, configured settings)" in limits
    assert "about two of those, 5.5 s, against the 3 s target" in limits

    # A drain in one micro-batch has no later batch to compare the first with.
    results["drain"]["bronze_batches"] = [
        {"batch_id": 0, "records": 2_000_000, "seconds": 95.0, "add_batch_ms": 94_000}
    ]
    limits = "\n".join(limits_section(results))
    assert "The first micro-batch" not in limits
    assert (
        "The drain's one micro-batch (`ingest.max_offsets_per_trigger` held it all) took "
        "95.0 s of its 100.0 s; the other 5.0 s" in limits
    )

    # Pooled runs (bench.drain.pooled): the batches are the first run's, so is the time they
    # are set against.
    results["drain"]["measures"][2] |= {"seconds": 90.0, "runs": [100.0, 80.0]}
    limits = "\n".join(limits_section(results))
    assert "took 95.0 s of its first run's 100.0 s; the other 5.0 s" in limits
    assert "The job drained 2,000,000 records in 90.0 s" in limits
