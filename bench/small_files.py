"""Small files: what the continuous job leaves in bronze, and what a read of one day costs
before and after compaction by `jobs/bronze_maintenance.py` (Delta OPTIMIZE).

Measured on the table the freshness run just wrote (a trigger every second, the most files
a deployment makes). The day read is the analysts' query shape: one `event_date`
partition through DuckDB's delta_scan, as dbt's staging models read bronze.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakehouse.lake.tables import lake_connection
from lakehouse.orchestration.operators import MAINTENANCE_JOB
from lakehouse.reliability.harness import commit_actions, delta_versions, is_ingest_commit
from lakehouse.settings import Settings
from lakehouse.streaming.spark_submit import run_job_logged

# Reads are repeated and the fastest kept, so one slow scheduling blip does not decide.
READ_REPEATS = 3

DAY_QUERY = """
    select count(*), count(distinct user_id), sum(ms_played)
    from delta_scan(?) where event_date = ?
"""


@dataclass(frozen=True)
class SmallFilesResult:
    """File counts of one bronze day and the seconds a read of it takes."""

    day: str
    rows: int
    streaming_commits: int
    streamed_files: int
    files_before: int
    files_after: int
    read_seconds_before: float
    read_seconds_after: float
    optimize_wall_seconds: float

    @property
    def files_per_commit(self) -> float:
        """Files each micro-batch adds (after optimized writes)."""
        return self.streamed_files / self.streaming_commits if self.streaming_commits else 0.0


def active_files(location: str) -> dict[str, str]:
    """Path -> event_date of every data file in the table's latest snapshot, replayed from
    the JSON commits (local tables; the log keeps them for 30 days)."""
    log = Path(location) / "_delta_log"
    files: dict[str, str] = {}
    for version in delta_versions(location):
        for line in (log / f"{version:020d}.json").read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                files[action["add"]["path"]] = action["add"]["partitionValues"]["event_date"]
            elif "remove" in action:
                files.pop(action["remove"]["path"], None)
    return files


def streamed(location: str) -> tuple[int, int]:
    """(streaming commits, files they added): the files that pile up without compaction."""
    commits = added = 0
    for version in delta_versions(location):
        actions = commit_actions(location, version)
        if is_ingest_commit(actions):
            commits += 1
            added += sum(1 for a in actions if "add" in a)
    return commits, added


def read_day(settings: Settings, day: str) -> tuple[float, int]:
    """(fastest seconds, rows) of the day query over bronze."""
    fastest = float("inf")
    rows = 0
    with lake_connection(settings) as connection:
        for _ in range(READ_REPEATS):
            started = time.perf_counter()
            found = connection.execute(DAY_QUERY, [settings.bronze_events_location, day]).fetchone()
            fastest = min(fastest, time.perf_counter() - started)
            rows = int(found[0]) if found else 0
    return fastest, rows


def compact(settings: Settings, log_path: Path) -> float:
    """Run the maintenance job over every partition (all closed by an hour from now); the
    wall seconds, spark-submit start-up included."""
    closed_before = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    started = time.monotonic()
    run_job_logged(settings, MAINTENANCE_JOB, ["--closed-before", closed_before], log_path)
    return time.monotonic() - started


def measure_small_files(settings: Settings, log_path: Path) -> SmallFilesResult:
    """Count and read the fullest day of bronze, compact it, count and read it again."""
    location = settings.bronze_events_location
    before = active_files(location)
    if not before:
        raise RuntimeError(f"bronze at {location} has no files to measure")
    day = Counter(before.values()).most_common(1)[0][0]
    commits, added = streamed(location)
    read_before, rows = read_day(settings, day)
    optimize_seconds = compact(settings, log_path)
    after = active_files(location)
    read_after, rows_after = read_day(settings, day)
    if rows_after != rows:
        raise RuntimeError(f"compaction changed the day's rows: {rows:,} -> {rows_after:,}")
    return SmallFilesResult(
        day=day,
        rows=rows,
        streaming_commits=commits,
        streamed_files=added,
        files_before=sum(1 for d in before.values() if d == day),
        files_after=sum(1 for d in after.values() if d == day),
        read_seconds_before=read_before,
        read_seconds_after=read_after,
        optimize_wall_seconds=optimize_seconds,
    )
