"""What the DAGs hand their operators: the spark-submit parts, EMR's request, the bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.bronze_maintenance import closed_partitions_predicate
from lakehouse.config import ConfigError, load_settings
from lakehouse.orchestration.emr import EmrConfigError, job_request
from lakehouse.orchestration.operators import (
    spark_submit_operator_arguments,
    split_spark_submit,
)
from lakehouse.streaming.spark_submit import spark_submit_command


def test_split_is_the_inverse_of_the_command() -> None:
    settings = load_settings("local", environ={})
    command = spark_submit_command(settings, job_args=["--trigger", "available-now"])
    parts = split_spark_submit(command)
    rebuilt = [parts.spark_binary, "--master", parts.master, "--name", parts.name]
    rebuilt += ["--driver-memory", parts.driver_memory, "--jars", parts.jars]
    for key, value in parts.conf.items():
        rebuilt += ["--conf", f"{key}={value}"]
    assert [*rebuilt, parts.application, *parts.application_args] == command
    assert parts.application_args == ["--env", "local", "--trigger", "available-now"]


def test_operator_uses_the_main_environments_spark_submit() -> None:
    settings = load_settings("local", environ={})
    arguments = spark_submit_operator_arguments(settings)
    venv_bin = settings.project_root / ".venv" / "bin"
    assert arguments["spark_binary"] == str(venv_bin / "spark-submit")
    assert arguments["env_vars"]["PYSPARK_PYTHON"] == str(venv_bin / "python")
    # The launcher finds SPARK_HOME from that interpreter, not from Airflow's environment.
    assert "SPARK_HOME" not in arguments["env_vars"]
    assert arguments["conn_id"] == "spark_default"


def test_emr_request_needs_emr_enabled_and_complete_settings() -> None:
    with pytest.raises(EmrConfigError, match=r"emr\.enabled is false"):
        job_request(load_settings("local", environ={}))
    with pytest.raises(ConfigError, match="emr: Value error, enabled: true needs code_uri"):
        load_settings("prod", environ={"LAKEHOUSE__EMR__CODE_URI": "null"})


def test_emr_request_renders_prod() -> None:
    request = job_request(load_settings("prod", environ={}))
    submit = request["job_driver"]["sparkSubmit"]
    assert submit["entryPoint"] == "s3://example-lakehouse-prod/code/bronze_ingest.py"
    assert (
        "--py-files s3://example-lakehouse-prod/code/lakehouse_job.zip"
        in (submit["sparkSubmitParameters"])
    )
    assert request["name"] == "lakehouse-bronze-ingest-prod"


def test_vacuum_retention_can_never_go_below_delta_floor() -> None:
    with pytest.raises(ConfigError, match="vacuum_retention_hours"):
        load_settings("local", environ={"LAKEHOUSE__MAINTENANCE__VACUUM_RETENTION_HOURS": "24"})


def test_closed_partitions_are_the_hours_before_the_bound() -> None:
    # The maintenance DAG renders the bound (airflow/tests/test_dag_structure.py).
    bound = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert closed_partitions_predicate(bound) == (
        "event_date < '2026-11-23' or (event_date = '2026-11-23' and event_hour < 1)"
    )
