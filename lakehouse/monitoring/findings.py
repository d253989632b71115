"""The one vocabulary of checks: each finding is OK, WARN or FAIL, with what it saw.

`lakehouse status`, the quality DAG's checks, Kafka's lag and retention checks and
`lakehouse check`'s partitions all report Findings; a verdict is the worst of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OK = "OK"
WARN = "WARN"
FAIL = "FAIL"
SEVERITY = {OK: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its level and what it saw; a measuring check adds the value it
    measured and the threshold it was held to (None when there was nothing to measure)."""

    check: str
    level: str
    message: str
    value: float | None = None
    threshold: float | None = None

    @property
    def passed(self) -> bool:
        """True unless the finding is a FAIL (a WARN passes)."""
        return self.level != FAIL

    def line(self) -> str:
        """`LEVEL check: message`, for logs and alerts."""
        return f"{self.level} {self.check}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        """The check, its level and its message (the shape `lakehouse status --json` gives)."""
        return {"check": self.check, "level": self.level, "message": self.message}


def measured(
    check: str, value: float | None, threshold: float, passed: bool, message: str
) -> Finding:
    """The finding of a check with one threshold: OK when it passed, FAIL otherwise."""
    return Finding(check, OK if passed else FAIL, message, value, threshold)


def grade(value: float, warn_past: float, fail_past: float, *, higher_is_worse: bool) -> str:
    """OK, WARN or FAIL for a measure against its two thresholds (strictly past them)."""
    sign = 1 if higher_is_worse else -1
    if sign * value > sign * fail_past:
        return FAIL
    if sign * value > sign * warn_past:
        return WARN
    return OK


def worst(levels: Iterable[str]) -> str:
    """The most severe of the levels; OK when there are none."""
    return max(levels, key=SEVERITY.__getitem__, default=OK)


def verdict(findings: list[Finding]) -> dict[str, Any]:
    """The worst level of the findings, with every finding."""
    return {
        "level": worst(finding.level for finding in findings),
        "checks": [finding.as_json() for finding in findings],
    }


def verdict_line(report: dict[str, Any]) -> str:
    """`OK|WARN|FAIL: ...` naming the checks of a report's verdict that are not OK."""
    level = report["verdict"]["level"]
    failing = [check for check in report["verdict"]["checks"] if check["level"] != OK]
    if not failing:
        return f"{OK}: every check passed"
    return f"{level}: " + "; ".join(f"{check['check']} {check['level']}" for check in failing)
