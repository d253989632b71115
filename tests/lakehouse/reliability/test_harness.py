"""The drills' job process: a job that exits by itself stops the drill with its log's end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lakehouse.config import load_settings
from lakehouse.reliability.harness import JobProcess


def test_a_job_that_exited_by_itself_is_reported_with_its_log(tmp_path: Path) -> None:
    job = JobProcess(load_settings(), "continuous", tmp_path / "job.log")
    job.command = [
        sys.executable,
        "-c",
        "print('Traceback (most recent call last):'); print('\\tat java.Frame'); "
        "print('AnalysisException: [DELTA_TABLE_NOT_FOUND]'); raise SystemExit(3)",
    ]
    job.start()
    assert job.wait(60) == 3

    with pytest.raises(RuntimeError) as raised:
        job.ensure_running()

    assert str(raised.value) == (
        f"the job exited by itself with code 3 ({tmp_path / 'job.log'}); its log ends:\n"
        "Traceback (most recent call last):\nAnalysisException: [DELTA_TABLE_NOT_FOUND]"
    )


def test_a_running_job_passes(tmp_path: Path) -> None:
    job = JobProcess(load_settings(), "continuous", tmp_path / "job.log")
    job.command = [sys.executable, "-c", "import time; time.sleep(30)"]
    job.start()
    try:
        job.ensure_running()
        assert job.running
    finally:
        job.kill()
    assert not job.running
