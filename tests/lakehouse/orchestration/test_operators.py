"""What the DAGs hand their operators: the spark-submit parts, EMR's request, the bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.bronze_maintenance import closed_partitions_predicate
from lakehouse.config import ConfigError, load_settings
from lakehouse.orchestration.emr import EmrConfigError, job_request
from lakehouse.orchestration.operators import spark_python, spark_submit_operator_arguments
from lakehouse.streaming.spark_submit import (
    jar_options,
    printable,
    spark_submit,
    spark_submit_command,
)


def test_the_operator_gets_the_parts_of_the_command_lakehouse_ingest_prints() -> None:
    settings = load_settings("local", environ={})
    job_args = ["--trigger", "available-now"]
    command = spark_submit_command(settings, job_args=job_args, python=spark_python(settings))
    arguments = spark_submit_operator_arguments(settings, job_args=job_args)
    # The master is not an operator argument: it comes from the Spark connection.
    rebuilt = [arguments["spark_binary"], "--master", settings.spark.master]
    rebuilt += ["--name", arguments["name"], "--driver-memory", arguments["driver_memory"]]
    rebuilt += ["--jars", arguments["jars"]] if arguments["jars"] else []
    for key, value in arguments["conf"].items():
        rebuilt += ["--conf", f"{key}={value}"]
    assert [*rebuilt, arguments["application"], *arguments["application_args"]] == command
    assert arguments["application_args"] == ["--env", "local", "--trigger", "available-now"]


JARS = [Path("/jars/delta-spark.jar"), Path("/jars/kafka-clients.jar")]


def test_a_local_master_puts_the_jars_on_the_driver_class_path() -> None:
    assert jar_options("local[*]", JARS) == (
        "",
        {"spark.driver.extraClassPath": "/jars/delta-spark.jar:/jars/kafka-clients.jar"},
    )
    command = spark_submit_command(load_settings("local", environ={}))
    assert "--jars" not in command
    assert '--conf "spark.driver.extraClassPath=$(ls ' in printable(command)
    assert '/*.jar | paste -sd: -)"' in printable(command)


@pytest.mark.parametrize("master", ["yarn", "spark://host:7077", "k8s://https://host"])
def test_a_cluster_master_ships_the_jars_with_jars(master: str) -> None:
    assert jar_options(master, JARS) == ("/jars/delta-spark.jar,/jars/kafka-clients.jar", {})
    settings = load_settings("local", environ={"LAKEHOUSE__SPARK__MASTER": master})
    command = spark_submit_command(settings)
    assert command[command.index("--jars") + 1].count(".jar") >= 2
    assert not any(part.startswith("spark.driver.extraClassPath=") for part in command)
    assert '--jars "$(ls ' in printable(command)


def test_the_local_driver_gets_the_parallel_collector_and_inlining_bounds_and_prod_keeps_g1() -> (
    None
):
    local = spark_submit(load_settings("local", environ={})).conf
    assert local["spark.driver.extraJavaOptions"].split()[-3:] == [
        "-XX:+UseParallelGC",
        "-XX:InlineSmallCode=1000",
        "-XX:MaxInlineLevel=9",
    ]
    prod = spark_submit(load_settings("prod", environ={})).conf
    assert "GC" not in prod["spark.driver.extraJavaOptions"]


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
