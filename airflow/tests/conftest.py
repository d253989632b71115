"""Airflow's home for the test run, set before Airflow is imported; a real broker; DAG bags.

Airflow reads its configuration when first imported, so the variables are set at the top
of this file. The metadata database is a copy of the one set-up migrated (a fresh
`airflow db migrate` costs seconds the suite does not need to spend).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.orchestration.operators import DAGS_FOLDER
from lakehouse.settings import PROJECT_ROOT

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="lakehouse-airflow-tests-"))
MIGRATED_DATABASE = PROJECT_ROOT / ".lakehouse" / "airflow" / "airflow.db"

os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
)
if MIGRATED_DATABASE.exists():
    shutil.copyfile(MIGRATED_DATABASE, AIRFLOW_HOME / "airflow.db")
else:
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
    )


def pytest_sessionfinish() -> None:
    """Remove the test run's Airflow home."""
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real single-node KRaft broker on free ports for the DAG tests."""
    from lakehouse.kafka.broker import KafkaBroker  # noqa: PLC0415
    from lakehouse.sandbox import free_port  # noqa: PLC0415

    broker = KafkaBroker(
        jars_dir=PROJECT_ROOT / ".lakehouse" / "jars" / "kafka",
        state_dir=tmp_path_factory.mktemp("kafka-state"),
        port=free_port(),
        controller_port=free_port(),
    )
    broker.start()
    yield broker
    broker.stop()
