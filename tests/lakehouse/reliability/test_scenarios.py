"""Every fault drill at the reduced scale: nothing lost, nothing doubled, counts reconcile."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.reliability import report
from lakehouse.reliability.scenarios import (
    REDUCED,
    ScenarioResult,
    broker_restart,
    crash_restart,
    duplicate_sends,
    second_writer,
)

pytestmark = pytest.mark.integration
SEED = 7


def assert_exactly_once(result: ScenarioResult) -> None:
    """The verdict worked out here from the drill's counts, not taken from the harness."""
    counts = result.counts
    assert counts is not None, result.notes
    assert counts.in_kafka > 0
    # Every Kafka record's coordinate is in bronze or quarantine, and only once.
    assert counts.distinct == counts.in_kafka, f"lost {counts.in_kafka - counts.distinct}"
    assert counts.bronze + counts.quarantine == counts.distinct, result.notes
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.passed, result.notes


def assert_traffic_landed(result: ScenarioResult) -> None:
    """What the producer sent is what Kafka holds, and the bad records are the quarantine."""
    assert result.counts is not None
    assert result.counts.in_kafka == result.sent
    assert result.counts.quarantine == result.bad_records


@pytest.mark.slow
def test_kill_9_at_random_and_at_commit_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = crash_restart(tmp_path, REDUCED, SEED)
    assert_exactly_once(result)
    assert_traffic_landed(result)
    assert result.kills >= REDUCED.kills
    assert result.restarts == result.kills
    assert result.bad_records > 0
    assert result.commit_kills >= 1, "no kill landed between the Delta commit and the checkpoint"
    assert result.between_tables_kills >= 1, "no kill landed between the two tables' commits"


@pytest.mark.slow
def test_broker_restart_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = broker_restart(tmp_path, REDUCED, SEED)
    assert_exactly_once(result)
    assert_traffic_landed(result)


@pytest.mark.slow
def test_second_job_on_the_same_checkpoint_is_refused(tmp_path: Path) -> None:
    result = second_writer(tmp_path, REDUCED, SEED)
    assert "exit code 3 (refused)" in result.notes
    assert "tables unchanged" in result.notes
    assert_exactly_once(result)
    assert_traffic_landed(result)


@pytest.mark.slow
def test_duplicate_sends_reach_silver_once(tmp_path: Path) -> None:
    result = duplicate_sends(tmp_path, REDUCED, SEED)
    assert_exactly_once(result)
    assert result.counts is not None
    assert result.counts.bronze == 2 * REDUCED.duplicate_events
    assert f"bronze {2 * REDUCED.duplicate_events:,} raw records" in result.notes


def test_report_lists_each_scenario_with_its_figures() -> None:
    results = [
        ScenarioResult(
            "kill -9 and restart",
            "kills.",
            1000,
            4,
            2,
            4,
            10,
            0,
            0,
            60.0,
            True,
            between_tables_kills=1,
        ),
        ScenarioResult("second job", "refused.", 50, 0, 0, 0, 0, 1, 0, 9.0, False),
    ]
    markdown = report.render(results, REDUCED, SEED)
    assert "| kill -9 and restart | 1,000 | 4 (2 / 1) | 4 | 10 | 0 | 0 | pass | 60 |" in markdown
    assert "| second job | 50 | 0 (0 / 0) | 0 | 0 | 1 | 0 | **FAIL** | 9 |" in markdown
    assert "make reliability" in markdown
