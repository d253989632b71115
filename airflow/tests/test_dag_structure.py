"""Each DAG's tasks, dependencies, schedule, tags, retries and callbacks, as configured."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import jinja2
import pytest
from airflow.sdk import TriggerRule
from dagbag import load_dagbag

from lakehouse.config import load_settings
from lakehouse.orchestration.airflow_callbacks import on_failure
from lakehouse.orchestration.operators import spark_connection
from lakehouse.streaming.spark_submit import spark_submit_command
from lakehouse.warehouse.reference_inputs import ReferencePlan


@pytest.fixture(scope="module")
def bag():  # type: ignore[no-untyped-def]
    return load_dagbag({"LAKEHOUSE_ENV": "local"})


def edges(dag) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(task.task_id, down) for task in dag.tasks for down in task.downstream_task_ids}


def test_every_task_retries_with_backoff_and_alerts(bag) -> None:  # type: ignore[no-untyped-def]
    for dag in bag.dags.values():
        assert dag.catchup is False
        assert dag.start_date.tzinfo is not None
        assert "lakehouse" in dag.tags
        assert dag.doc_md
        for task in dag.tasks:
            assert task.retries == (1 if dag.dag_id == "lakehouse_quality" else 3), task
            assert task.retry_exponential_backoff == 2.0
            assert task.retry_delay == timedelta(seconds=60)
            assert task.max_retry_delay == timedelta(seconds=900)
            assert task.on_failure_callback == [on_failure]


def test_ingestion_dag(bag) -> None:  # type: ignore[no-untyped-def]
    dag = bag.dags["lakehouse_ingestion"]
    assert dag.schedule == "*/15 * * * *"
    assert dag.max_active_runs == 1
    assert {"ingestion", "spark", "bronze"} <= set(dag.tags)
    assert edges(dag) == {
        ("ingest_bronze", "warehouse_is_snowflake"),
        ("warehouse_is_snowflake", "refresh_snowflake_bronze"),
        ("ingest_bronze", "cleanup"),
    }
    ingest = dag.get_task("ingest_bronze")
    assert [outlet.name for outlet in ingest.outlets] == ["lakehouse_bronze_listening_events"]
    assert dag.get_task("cleanup").trigger_rule == TriggerRule.ALL_DONE
    refresh = dag.get_task("refresh_snowflake_bronze")
    assert refresh.bash_command.endswith("lakehouse --env local warehouse refresh-bronze")
    assert len(dag.deadline) == 1
    assert dag.deadline[0].interval == timedelta(minutes=30)


def test_ingestion_submits_the_printed_spark_submit_line(bag) -> None:  # type: ignore[no-untyped-def]
    """What the operator runs is `lakehouse ingest --print-command`'s line, master from conn."""
    settings = load_settings("local")
    ingest = bag.dags["lakehouse_ingestion"].get_task("ingest_bronze")
    python = settings.path(settings.airflow.spark_python)
    expected = spark_submit_command(
        settings, job_args=["--trigger", "available-now"], python=python
    )
    assert expected[0] == str(settings.project_root / ".venv" / "bin" / "spark-submit")
    with mock.patch.dict(os.environ, {"AIRFLOW_CONN_SPARK_DEFAULT": spark_connection(settings)}):
        hook = ingest._get_hook()
    # The master comes from the connection: without it the provider would fall back to yarn.
    assert hook._connection["master"] == "local[*]"
    built = hook._build_spark_submit_command(ingest.application)
    assert built[0] == expected[0]
    # Same options and values; the provider orders them its own way.
    assert sorted(built[1:]) == sorted(expected[1:])
    assert ingest.application_args == ["--env", "local", "--trigger", "available-now"]


def test_transformation_dag(bag) -> None:  # type: ignore[no-untyped-def]
    dag = bag.dags["lakehouse_transformation"]
    assert [asset.name for asset in dag.schedule] == ["lakehouse_bronze_listening_events"]
    # dbt_test also takes dbt_silver's reference plan (XCom).
    assert edges(dag) == {
        ("dbt_silver", "dbt_gold"),
        ("dbt_gold", "dbt_test"),
        ("dbt_silver", "dbt_test"),
    }
    assert {"transformation", "dbt"} <= set(dag.tags)


def test_transformation_silver_step_is_one_dbt_command_with_the_snapshot_and_no_tests(
    bag,  # type: ignore[no-untyped-def]
) -> None:
    transformation = bag.dags["lakehouse_transformation"]
    plan = ReferencePlan(fingerprint="f1", current=True)
    with (
        mock.patch("lakehouse.pipeline.transform") as transform,
        mock.patch("lakehouse.pipeline.reference_plan", return_value=plan),
    ):
        passed_on = transformation.get_task("dbt_silver").python_callable()
    # One dbt start-up for the layer; the dbt_test step runs every data test afterwards.
    (silver,) = transform.call_args_list
    # The plan decided here is the one the later steps follow.
    assert silver.kwargs["reference"] == plan
    assert ReferencePlan.from_dict(passed_on) == plan
    assert silver.kwargs["dbt_command"] == "build"
    assert silver.kwargs["select"] == (
        "path:models/staging path:models/intermediate resource_type:snapshot"
    )
    assert silver.kwargs["exclude"] == "resource_type:test resource_type:unit_test"


def test_recommendations_dag_builds_the_daily_models_the_transformation_leaves_out(
    bag,  # type: ignore[no-untyped-def]
) -> None:
    dag = bag.dags["lakehouse_recommendations"]
    assert dag.schedule == "0 4 * * *"
    assert dag.max_active_runs == 1
    assert dag.task_ids == ["dbt_recommendations"]
    assert {"transformation", "dbt"} <= set(dag.tags)
    transformation = bag.dags["lakehouse_transformation"]
    built = ReferencePlan(fingerprint="f2", current=False).to_dict()
    with (
        mock.patch("lakehouse.pipeline.transform") as transform,
        mock.patch("lakehouse.pipeline.record_reference") as record,
    ):
        dag.get_task("dbt_recommendations").python_callable()
        transformation.get_task("dbt_gold").python_callable(built)
        transformation.get_task("dbt_test").python_callable(built)
    daily, gold, test = transform.call_args_list
    # This run built the reference branch: its inputs are recorded after the tests.
    assert gold.kwargs["reference"] == test.kwargs["reference"] == ReferencePlan("f2", False)
    (recorded,) = record.call_args_list
    assert recorded.args[1] == ReferencePlan("f2", False)
    assert (daily.kwargs["select"], daily.kwargs.get("exclude")) == ("tag:daily", None)
    assert (gold.kwargs["select"], gold.kwargs["exclude"]) == ("path:models/marts", "tag:daily")
    # The unit tests check the SQL on fixed inputs; CI runs them, not every scheduled run.
    assert test.kwargs["exclude"] == "tag:daily resource_type:unit_test"


def test_quality_dag(bag) -> None:  # type: ignore[no-untyped-def]
    dag = bag.dags["lakehouse_quality"]
    assert dag.schedule == "*/30 * * * *"
    assert set(dag.task_ids) == {
        "silver_retention",
        "freshness",
        "dbt_tests",
        "volume",
        "gold_non_empty",
        "consumer_lag",
        "retention_headroom",
    }
    # Independent checks: every one is a leaf, so any failure fails the run.
    assert edges(dag) == set()


def test_maintenance_dag(bag) -> None:  # type: ignore[no-untyped-def]
    dag = bag.dags["lakehouse_maintenance"]
    assert dag.schedule == "0 3 * * *"
    assert edges(dag) == {("optimize_and_vacuum", "cleanup")}
    job = dag.get_task("optimize_and_vacuum")
    assert job.application.endswith("jobs/bronze_maintenance.py")
    assert job.application_args[-2] == "--closed-before"
    # Airflow renders the bound with its macros; macros.timedelta is datetime.timedelta.
    closed_before = jinja2.Template(job.application_args[-1]).render(
        data_interval_end=datetime(2026, 11, 23, 3, 17, tzinfo=UTC),
        macros=SimpleNamespace(timedelta=timedelta),
    )
    assert closed_before == "2026-11-23T01:00:00"  # 2 hours of lag, truncated to the hour
    assert dag.get_task("cleanup").trigger_rule == TriggerRule.ALL_DONE
