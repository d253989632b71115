"""The one vocabulary of checks: levels, lines, verdicts, and how check's partitions map to it."""

from __future__ import annotations

import pytest

from lakehouse.lake.offsets import TableOffsets
from lakehouse.monitoring.findings import (
    FAIL,
    OK,
    WARN,
    Finding,
    measured,
    verdict,
    worst,
)
from lakehouse.monitoring.reconcile import (
    DUPLICATE,
    GAP,
    LAG,
    LOST,
    CheckReport,
    PartitionCheck,
    partition_finding,
)


def test_a_finding_passes_unless_it_fails_and_says_its_level_in_its_line() -> None:
    assert [Finding("x", level, "m").passed for level in (OK, WARN, FAIL)] == [True, True, False]
    assert Finding("freshness", FAIL, "42 min old", 42, 30).line() == "FAIL freshness: 42 min old"
    assert Finding("freshness", OK, "3 min old").line() == "OK freshness: 3 min old"


def test_measured_is_ok_or_fail_and_keeps_the_value_and_threshold() -> None:
    assert measured("lag", 5, 10, True, "5 unread") == Finding("lag", OK, "5 unread", 5, 10)
    assert measured("lag", 50, 10, False, "50 unread") == Finding("lag", FAIL, "50 unread", 50, 10)


def test_the_verdict_is_the_worst_level_and_lists_each_check_in_the_status_shape() -> None:
    findings = [Finding("a", OK, "fine", 1, 2), Finding("b", WARN, "hm"), Finding("c", OK, "")]
    assert verdict(findings) == {
        "level": WARN,
        "checks": [
            {"check": "a", "level": OK, "message": "fine"},
            {"check": "b", "level": WARN, "message": "hm"},
            {"check": "c", "level": OK, "message": ""},
        ],
    }
    assert worst([]) == OK
    assert worst([WARN, FAIL, OK]) == FAIL


def _row(*verdicts: str) -> PartitionCheck:
    return PartitionCheck(
        topic="plays",
        partition=1,
        kafka_earliest=0,
        kafka_end=10,
        committed=10,
        bronze=TableOffsets(),
        quarantine=TableOffsets(),
        checked_from=0,
        checked_until=10,
        duplicates=0,
        missing=0,
        deleted_not_recorded=0,
        recorded_loss=0,
        lag=0,
        verdicts=verdicts,
    )


@pytest.mark.parametrize(
    ("verdicts", "accept_recorded_loss", "level"),
    [
        ((OK,), False, OK),
        ((LAG,), False, OK),
        ((GAP, LAG), False, FAIL),
        ((DUPLICATE,), True, FAIL),
        ((LOST,), False, FAIL),
        ((LOST, LAG), True, WARN),
    ],
)
def test_a_partition_fails_on_a_gap_a_duplicate_or_an_unaccepted_loss(
    verdicts: tuple[str, ...], accept_recorded_loss: bool, level: str
) -> None:
    finding = partition_finding(_row(*verdicts), accept_recorded_loss=accept_recorded_loss)
    assert finding == Finding("plays[1]", level, ", ".join(verdicts))


def test_the_check_exits_1_only_when_a_partition_fails() -> None:
    report = CheckReport([_row(LAG), _row(LOST)], "lake/audit/data_loss_events")
    assert report.exit_code(accept_recorded_loss=True) == 0
    assert report.exit_code(accept_recorded_loss=False) == 1
    assert report.failing(accept_recorded_loss=False) == [_row(LOST)]
