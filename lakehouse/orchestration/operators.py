"""What the Airflow DAGs hand to their operators, built from the settings (no Airflow import).

The DAGs stay thin: the operator gets the parts of the spark-submit run whose command line
`lakehouse ingest` runs, so `lakehouse ingest --print-command` shows exactly what Airflow
submits.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from lakehouse.settings import PROJECT_ROOT, Settings
from lakehouse.streaming.spark_submit import BRONZE_JOB, spark_environment, spark_submit

MAINTENANCE_JOB = PROJECT_ROOT / "jobs" / "bronze_maintenance.py"
DAGS_FOLDER = PROJECT_ROOT / "airflow" / "dags"
# Airflow's own environment, installed by scripts/setup.sh from airflow/uv.lock.
AIRFLOW_VENV = PROJECT_ROOT / ".lakehouse" / "airflow-venv"


def spark_python(settings: Settings) -> Path:
    """The main environment's interpreter, whose spark-submit runs the jobs."""
    return settings.path(settings.airflow.spark_python)


def spark_submit_operator_arguments(
    settings: Settings, job: Path = BRONZE_JOB, job_args: list[str] | None = None
) -> dict[str, Any]:
    """Keyword arguments of SparkSubmitOperator for a job (master comes from the connection)."""
    python = spark_python(settings)
    submit = spark_submit(settings, job, job_args, python=python)
    return {
        "conn_id": settings.airflow.spark_conn_id,
        "spark_binary": submit.spark_binary,
        "name": submit.name,
        "driver_memory": submit.driver_memory,
        # None for a local master: the jars are on the driver's class path (conf).
        "jars": submit.jars or None,
        "conf": submit.conf,
        "application": submit.application,
        "application_args": submit.application_args,
        "env_vars": spark_environment(settings, python=python),
    }


def spark_connection(settings: Settings) -> str:
    """The Spark connection as Airflow reads it from AIRFLOW_CONN_<ID> (JSON): the master."""
    return json.dumps({"conn_type": "spark", "host": settings.spark.master})


def retry_arguments(settings: Settings) -> dict[str, Any]:
    """default_args for retries with exponential backoff, from the settings."""
    airflow = settings.airflow
    return {
        "retries": airflow.retries,
        "retry_delay": timedelta(seconds=airflow.retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=airflow.max_retry_delay_seconds),
    }


def dbt_artifacts_dir(settings: Settings, step: str) -> Path:
    """Where one dbt step of the transformation DAG keeps its logs and run_results.json."""
    return settings.state_path / "dbt" / step


def airflow_environment(settings: Settings) -> dict[str, str]:
    """Variables that point Airflow at this project: home, DAGs, Spark connection, env."""
    connection = f"AIRFLOW_CONN_{settings.airflow.spark_conn_id.upper()}"
    return {
        "AIRFLOW_HOME": str(settings.path(settings.airflow.home)),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Shown running as soon as Airflow starts: the local stack is the point of the demo.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        connection: spark_connection(settings),
        "LAKEHOUSE_ENV": settings.env,
    }
