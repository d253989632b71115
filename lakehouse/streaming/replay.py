"""`lakehouse replay-quarantine`: the replay job through spark-submit."""

from __future__ import annotations

from lakehouse.pipeline import run_spark_submit
from lakehouse.settings import PROJECT_ROOT, Settings
from lakehouse.streaming.spark_submit import spark_submit_command

REPLAY_JOB = PROJECT_ROOT / "jobs" / "replay_quarantine.py"


def replay_quarantine(settings: Settings, dry_run: bool = False) -> None:
    """Re-parse quarantined records with today's rules and move those that pass to bronze."""
    job_args = ["--dry-run"] if dry_run else []
    run_spark_submit(settings, spark_submit_command(settings, job=REPLAY_JOB, job_args=job_args))
