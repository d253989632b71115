"""`lakehouse status`, the operator's view: on a small real run, on nothing, and its grading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lakehouse.monitoring.findings import FAIL, OK, WARN, Finding, grade, verdict, verdict_line
from lakehouse.monitoring.status import status_report
from lakehouse.sandbox import sandbox_environment, sandbox_settings
from lakehouse.streaming.checkpoint import INGEST_QUERY
from tests.small_run import BAD_RECORDS, UNREAD_EVENTS, SmallRun

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
STABLE_TABLE_KEYS = {"layer", "name", "location", "rows"}


def run_status(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LAKEHOUSE, "status", *arguments],
        env={**os.environ, "COLUMNS": "200", **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_grades_warn_and_fail_strictly_past_their_thresholds() -> None:
    assert grade(30, 30, 120, higher_is_worse=True) == OK
    assert grade(30.1, 30, 120, higher_is_worse=True) == WARN
    assert grade(121, 30, 120, higher_is_worse=True) == FAIL
    assert grade(72, 72, 24, higher_is_worse=False) == OK
    assert grade(71, 72, 24, higher_is_worse=False) == WARN
    assert grade(23.9, 72, 24, higher_is_worse=False) == FAIL


def test_the_verdict_is_the_worst_check_and_its_line_names_the_others() -> None:
    report = {
        "verdict": verdict(
            [
                Finding("bronze_freshness", OK, "fresh"),
                Finding("quarantine", WARN, "some"),
                Finding("consumer_lag", FAIL, "far behind"),
            ]
        )
    }
    assert report["verdict"]["level"] == FAIL
    assert verdict_line(report) == "FAIL: quarantine WARN; consumer_lag FAIL"
    assert verdict_line({"verdict": verdict([Finding("kafka", OK, "")])}) == (
        "OK: every check passed"
    )
    assert verdict([])["level"] == OK


def test_nothing_running_and_no_lake_is_a_warning_not_a_traceback(tmp_path: Path) -> None:
    environment = sandbox_environment(tmp_path)
    human = run_status(environment)
    assert human.returncode == 0, human.stderr
    assert "Kafka: not running" in human.stdout
    assert "no bronze table yet at" in human.stdout
    assert "start it with `lakehouse up`" in human.stdout
    assert human.stdout.rstrip().splitlines()[-1] == "WARN: bronze WARN; kafka WARN"
    report = status_report(sandbox_settings(environment))
    assert report["services"]["kafka"]["running"] is False
    assert [table["rows"] for table in report["tables"]] == [None, None, None]
    assert (report["kafka_partitions"], report["streaming"], report["quarantine"]) == ([], [], None)
    assert report["verdict"]["level"] == WARN


def _rows(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(table["layer"], table["name"]): table for table in report["tables"]}


@pytest.mark.integration
def test_the_report_of_a_small_run(small_run: SmallRun) -> None:
    settings = small_run.settings
    at = datetime.now(UTC)
    report = status_report(settings, at)
    assert report["services"]["kafka"]["running"] is True
    tables = _rows(report)
    assert all(set(table) >= STABLE_TABLE_KEYS for table in report["tables"])
    bronze = tables[("bronze", "listening_events")]
    assert bronze["rows"] == small_run.ingested_events
    arrived = datetime.fromisoformat(bronze["newest_arrival_at"])
    assert bronze["age_minutes"] == round((at - arrived).total_seconds() / 60, 1)
    assert small_run.started_at < arrived < small_run.built_at
    assert tables[("quarantine", "quarantine_events")]["rows"] == len(BAD_RECORDS)
    silver = tables[("silver", "int_listening_events_deduplicated")]
    assert silver["rows"] == small_run.ingested_events
    assert silver["newest_arrival_at"] == bronze["newest_arrival_at"]
    # Gold has no arrival column: no freshness rather than a made-up one.
    assert tables[("gold", "top_tracks")]["age_minutes"] is None

    partitions = report["kafka_partitions"]
    assert len(partitions) == 3 * settings.kafka.partitions
    assert sum(row["lag"] for row in partitions) == UNREAD_EVENTS
    for row in partitions:
        assert row["next_offset"] + row["lag"] == row["end_offset"]
        headroom = row["retention_headroom_hours"]
        # Kafka's default retention is 7 days; the unread records were just produced.
        assert (headroom is None) == (row["lag"] == 0)
        assert headroom is None or 167 < headroom <= 168.1

    streaming = {query["query"]: query for query in report["streaming"]}
    assert set(streaming) == {INGEST_QUERY}
    bronze_batch = streaming[INGEST_QUERY]
    assert bronze_batch["batch_id"] >= 1  # several micro-batches (max_offsets_per_trigger)
    assert bronze_batch["input_rows"] > 0
    assert bronze_batch["processed_rows_per_second"] > 0
    assert bronze_batch["batch_duration_ms"] > 0

    quarantine = report["quarantine"]
    assert quarantine["rows"] == len(BAD_RECORDS)
    assert quarantine["share_of_records"] == round(
        len(BAD_RECORDS) / (small_run.ingested_events + len(BAD_RECORDS)), 6
    )
    reasons = [entry["reason"].split(":")[0] for entry in quarantine["by_reason"]]
    assert sorted(reasons) == ["invalid_json", "invalid_utf8", "missing_field"]

    levels = {check["check"]: check["level"] for check in report["verdict"]["checks"]}
    # 3 bad records in ~1,800 is past the 0.1% warning, far from the 5% failure.
    assert levels == {
        "bronze_freshness": OK,
        "consumer_lag": OK,
        "retention_headroom": OK,
        "quarantine": WARN,
    }
    assert report["verdict"]["level"] == WARN


@pytest.mark.integration
def test_the_cli_prints_every_section_and_exits_1_on_fail(small_run: SmallRun) -> None:
    human = run_status(small_run.environment)
    assert human.returncode == 0, human.stderr
    for section in (
        "Kafka: running",
        "Tables",
        "Kafka partitions (bronze job)",
        "Streaming queries: last micro-batch",
        f"Quarantine: {len(BAD_RECORDS)} rows",
        "Checks",
    ):
        assert section in human.stdout
    assert human.stdout.rstrip().splitlines()[-1] == "WARN: quarantine WARN"

    # Any quarantined record fails a stricter operator's threshold.
    strict = {
        **small_run.environment,
        "LAKEHOUSE__STATUS__QUARANTINE_WARN_SHARE": "0",
        "LAKEHOUSE__STATUS__QUARANTINE_FAIL_SHARE": "0.0001",
    }
    machine = run_status(strict, "--json")
    assert machine.returncode == 1, machine.stderr
    report = json.loads(machine.stdout)
    assert list(report) == [
        "services",
        "tables",
        "kafka_partitions",
        "streaming",
        "quarantine",
        "verdict",
        "at",
    ]
    assert report["verdict"]["level"] == FAIL
    failed = [check["check"] for check in report["verdict"]["checks"] if check["level"] == FAIL]
    assert failed == ["quarantine"]
