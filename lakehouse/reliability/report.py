"""docs/RELIABILITY.md: the drills' figures as a table, with the command that made them."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from lakehouse.reliability.scenarios import Scale, ScenarioResult

COMMAND = "make reliability   # = .venv/bin/lakehouse reliability --scale full"


def _machine() -> str:
    cores = os.cpu_count() or 0
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {cores} cores, {memory:.0f} GiB RAM"


def render(results: list[ScenarioResult], scale: Scale, seed: int) -> str:
    """The report as markdown."""
    header = (
        "| scenario | events | kills (in commit window) | restarts | bad records | lost "
        "| duplicated | result | seconds |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n"
    )
    rows = "".join(
        f"| {r.name} | {r.events:,} | {r.kills} ({r.commit_kills}) | {r.restarts} "
        f"| {r.bad_records:,} | {r.lost:,} | {r.duplicated:,} "
        f"| {'pass' if r.passed else '**FAIL**'} | {r.seconds:.0f} |\n"
        for r in results
    )
    details = "".join(f"- **{r.name}**: {r.description} {r.notes.strip()}\n" for r in results)
    return (
        "# Reliability\n\n"
        "What the bronze ingest does under faults, measured by drills on a real local stack "
        "(Kafka broker, spark-submit, Delta, dbt on DuckDB). *Events* is what Kafka holds "
        "at the end; *lost* counts Kafka records found in neither bronze nor quarantine; "
        "*duplicated* counts extra copies of a Kafka coordinate (topic, partition, offset) "
        "across bronze and quarantine (and, for duplicate sends, extra silver rows per "
        "event id).\n\n"
        f"Scale **{scale.name}**, seed {seed}, {_machine()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"{header}{rows}\n"
        "## Scenarios\n\n"
        f"{details}\n"
        "## Regenerate\n\n"
        f"```bash\n{COMMAND}\n```\n\n"
        "The default test suite (`make test`) runs every drill at the reduced scale "
        "(`tests/lakehouse/test_reliability.py`).\n"
    )


def write(path: Path, results: list[ScenarioResult], scale: Scale, seed: int) -> None:
    """Write the report file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results, scale, seed))
