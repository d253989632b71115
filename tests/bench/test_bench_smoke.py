"""The benchmark harness at smoke scale: every measurement runs and its numbers are sane.

No timing is asserted (speed is for `make bench`); the checks are that each reader saw
every event, nothing was lost, the percentiles are ordered, dbt counted what it was given,
and the report names every target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench.report import PROFILE_STAGES, targets, write_outputs
from bench.runner import run_benchmarks
from bench.scales import SMOKE

pytestmark = pytest.mark.integration


def test_smoke_run_measures_everything_and_reports_it(tmp_path: Path) -> None:
    results = run_benchmarks(SMOKE, tmp_path / "work", seed=11, console=Console())

    drain = results["drain"]
    assert drain["produced"] == SMOKE.drain_events
    ceiling, python, bronze = drain["measures"]
    assert ceiling["records"] == python["records"] == bronze["records"] == drain["produced"]
    assert all(measure["events_per_second"] > 0 for measure in drain["measures"])
    assert drain["bronze_rows"] + drain["quarantine_rows"] == drain["produced"]
    assert (drain["lost"], drain["duplicated"]) == (0, 0)
    assert bronze["wall_seconds"] > bronze["seconds"] > 0
    # The job's JVM reported its JIT compilers' time (-XX:+CITime), C2 being part of it.
    assert 0 < bronze["c2_seconds"] < bronze["jit_seconds"]
    assert set(results["load_average"]) == {"start", "end"}
    profile = drain["profile"]
    assert profile["records"] == drain["produced"]
    assert profile["rejected"] == drain["quarantine_rows"] == 0
    # The profile times the quarantine pass, but a batch with nothing rejected (as the job
    # runs it) is the bronze pass alone.
    assert all(profile[stage] > 0 for stage in PROFILE_STAGES)
    assert profile["job_batch"] == profile["bronze_pass"]
    assert profile["previous_release_batch"] > 0
    # Smoke scale times the stages only; `make bench` measures the levers too.
    assert profile["levers"] == []
    # The job's own micro-batches, read from its progress lines, hold every event once.
    assert sum(batch["records"] for batch in drain["bronze_batches"]) == drain["produced"]
    assert "batch_cost" not in results  # the fixed-cost drains are levers too

    fresh = results["freshness"]
    assert fresh["sent"] == fresh["events"] == SMOKE.freshness_rate * SMOKE.freshness_seconds
    assert fresh["warm_up_events"] == SMOKE.freshness_rate
    assert fresh["caught_up"] is True
    assert 0 < fresh["p50"] <= fresh["p95"] <= fresh["maximum"] < 120
    assert fresh["batches"] >= 2  # the warm-up's, then the steady traffic's
    assert 0 < fresh["median_batch_records"] <= fresh["warm_up_events"] + fresh["sent"]

    files = results["small_files"]
    assert 0 < files["rows"] <= fresh["warm_up_events"] + fresh["events"]
    assert files["streaming_commits"] >= 1 and files["streamed_files"] >= 1
    assert 1 <= files["files_after"] <= files["files_before"]
    assert files["read_seconds_before"] > 0 and files["read_seconds_after"] > 0

    check_dbt_section(results["dbt"])

    paths = write_outputs(results, tmp_path / "docs", "python -m bench --scale smoke")
    assert json.loads(paths["json"].read_text())["drain"]["produced"] == SMOKE.drain_events
    page = paths["markdown"].read_text()
    for name, _, measured, _ in targets(results):
        assert f"| {name} |" in page and measured in page
    assert f"| {files['day']} | {files['rows']:,} |" in page
    assert all(
        f"| {label} | {profile[stage]:.1f} |" in page for stage, label in PROFILE_STAGES.items()
    )
    assert "Levers: not measured at this scale" in page
    assert "## Before and after" in page
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")
    missed = [name for name, _, _, met in targets(results) if not met]
    assert ("## What limits the missed targets" in page) == bool(missed)


def check_dbt_section(dbt: dict[str, Any]) -> None:
    """The full build and the scheduled incremental run after 1% more events."""
    assert dbt["new_events"] == int(SMOKE.dbt_events * SMOKE.dbt_new_share)
    assert dbt["silver_rows"] == SMOKE.dbt_events + dbt["new_events"]
    assert dbt["history_days"] == SMOKE.dbt_history_days
    assert "int_listening_events_deduplicated" in dbt["full"]["models"]
    assert dbt["full"]["seconds"] > 0 and dbt["incremental"]["seconds"] > 0
    # The full build records the reference inputs; the scheduled run after it, the files
    # unchanged, leaves the reference branch out.
    assert dbt["reference_models"] == [
        "dim_artists",
        "dim_tracks",
        "dim_users",
        "stg_reference__artists",
        "stg_reference__tracks",
        "stg_reference__users",
        "users_snapshot",
    ]
    assert not set(dbt["reference_models"]) & set(dbt["incremental"]["models"])
    assert set(dbt["reference_models"]) <= set(dbt["full"]["models"])
    # The floor of any dbt command: one that builds the bronze staging view alone.
    assert dbt["one_view"]["nodes"] == 1 and dbt["one_view"]["seconds"] > 0
    assert dbt["levers_off"] == {}  # measured by `make bench`, not at smoke scale
