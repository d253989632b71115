"""The DAG tests run in Airflow's own environment; this runs them from the main suite.

`make test` stays one command: airflow/tests (DagBag, structure, EMR request, end-to-end
dag.test() on a real broker, Spark and dbt, and the alerting run) go through the Airflow
environment's pytest, and this test fails unless every one of them passed.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from lakehouse.orchestration.operators import AIRFLOW_VENV
from lakehouse.settings import PROJECT_ROOT

EXPECTED_TESTS = 20


@pytest.mark.integration
def test_airflow_dag_tests_pass_in_the_airflow_environment() -> None:
    pytest_binary = AIRFLOW_VENV / "bin" / "pytest"
    assert pytest_binary.exists(), "run scripts/setup.sh: it installs .lakehouse/airflow-venv"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    environment.pop("VIRTUAL_ENV", None)
    completed = subprocess.run(
        [str(pytest_binary), "-q", "-p", "no:randomly"],
        cwd=PROJECT_ROOT / "airflow",
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None, output[-3000:]
    assert int(summary.group(1)) == EXPECTED_TESTS, output[-3000:]
    assert not re.search(r"\d+ (failed|skipped|xfailed|error)", output), output[-3000:]
