"""The `lakehouse` command end to end, as a user runs it: real broker, Spark, Delta, dbt."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lakehouse.sandbox import sandbox_environment

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")


def run_cli(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LAKEHOUSE, *arguments],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def status(environment: dict[str, str]) -> dict[str, Any]:
    result = run_cli(environment, "status", "--json")
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def rows_by_table(report: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    return {(table["layer"], table["name"]): table["rows"] for table in report["tables"]}


@pytest.fixture
def own_stack(tmp_path: Path) -> dict[str, str]:
    """Environment of a stack whose broker the CLI itself starts and stops."""
    return sandbox_environment(tmp_path)


def test_config_error_exits_2_with_the_key(own_stack: dict[str, str]) -> None:
    result = run_cli({**own_stack, "LAKEHOUSE__KAFKA__PARTITONS": "3"}, "status")
    assert result.returncode == 2
    assert "LAKEHOUSE__KAFKA__PARTITONS: kafka.partitons: unknown key" in result.stderr


@pytest.mark.integration
def test_up_twice_is_harmless_and_down_stops(own_stack: dict[str, str]) -> None:
    port = own_stack["LAKEHOUSE__KAFKA__BROKER__PORT"]
    try:
        first = run_cli(own_stack, "up")
        assert first.returncode == 0, first.stderr
        assert f"started: bootstrap servers localhost:{port}" in first.stdout
        second = run_cli(own_stack, "up")
        assert second.returncode == 0, second.stderr
        assert f"already running: bootstrap servers localhost:{port}" in second.stdout
        report = status(own_stack)
        assert report["services"]["kafka"]["running"] is True
        assert report["services"]["kafka"]["bootstrap_servers"] == f"localhost:{port}"
    finally:
        stopped = run_cli(own_stack, "down")
    assert "stopped" in stopped.stdout
    assert status(own_stack)["services"]["kafka"]["running"] is False
    assert "was not running" in run_cli(own_stack, "down").stdout


@pytest.mark.integration
def test_up_on_a_port_in_use_says_so(own_stack: dict[str, str]) -> None:
    port = int(own_stack["LAKEHOUSE__KAFKA__BROKER__PORT"])
    with socket.socket() as squatter:
        squatter.bind(("localhost", port))
        squatter.listen()
        result = run_cli(own_stack, "up")
    assert result.returncode == 1
    assert f"port {port} on localhost is already in use" in result.stderr
    assert "LAKEHOUSE__KAFKA__BROKER__PORT" in result.stderr


def test_ingest_prints_its_spark_submit_line(own_stack: dict[str, str]) -> None:
    result = run_cli(own_stack, "ingest", "--print-command", "--trigger", "continuous")
    assert result.returncode == 0, result.stderr
    line = result.stdout
    assert "spark-submit" in line
    assert "--master 'local[2]'" in line
    assert "--conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in line
    assert "jobs/bronze_ingest.py --env local --trigger continuous" in line


@pytest.mark.integration
def test_demo_reconciles_and_a_second_run_adds_without_duplicating(
    own_stack: dict[str, str],
) -> None:
    first = run_cli(own_stack, "demo", "--events", "3000")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "MISMATCH" not in first.stdout
    assert "gold: top tracks" in first.stdout
    rows = rows_by_table(status(own_stack))
    assert rows[("bronze", "listening_events")] == 3000
    assert rows[("silver", "int_listening_events_deduplicated")] == 3000
    for gold in ("top_tracks", "top_artists", "daily_user_stats", "device_usage"):
        assert (rows[("gold", gold)] or 0) > 0, gold

    second = run_cli(own_stack, "demo", "--events", "2000")
    assert second.returncode == 0, second.stdout + second.stderr
    rows = rows_by_table(status(own_stack))
    assert rows[("bronze", "listening_events")] == 5000
    assert rows[("quarantine", "quarantine_events")] == 0
    assert rows[("silver", "int_listening_events_deduplicated")] == 5000
    assert status(own_stack)["services"]["kafka"]["running"] is False
