"""The benchmark harness at smoke scale: every measurement runs and its numbers are sane.

No timing is asserted (speed is for `make bench`); the checks are that each reader saw
every event, nothing was lost, the percentiles are ordered, dbt counted what it was given,
and the report names every target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from bench.report import targets, write_outputs
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

    fresh = results["freshness"]
    assert fresh["sent"] == fresh["events"] == SMOKE.freshness_rate * SMOKE.freshness_seconds
    assert fresh["caught_up"] is True
    assert 0 < fresh["p50"] <= fresh["p95"] <= fresh["maximum"] < 120

    dbt = results["dbt"]
    assert dbt["new_events"] == int(SMOKE.dbt_events * SMOKE.dbt_new_share)
    assert dbt["silver_rows"] == SMOKE.dbt_events + dbt["new_events"]
    assert "int_listening_events_deduplicated" in dbt["full"]["models"]
    assert dbt["full"]["seconds"] > 0 and dbt["incremental"]["seconds"] > 0

    paths = write_outputs(results, tmp_path / "docs", "python -m bench --scale smoke")
    assert json.loads(paths["json"].read_text())["drain"]["produced"] == SMOKE.drain_events
    page = paths["markdown"].read_text()
    for name, _, measured, _ in targets(results):
        assert f"| {name} |" in page and measured in page
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")
