"""dag.test() of ingestion -> transformation -> quality on the local stack: a real Kafka
broker, the real spark-submit, real dbt on DuckDB. Then a quality run that must fail (the
lake is three days stale at its logical date) and alert a local webhook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagbag import load_dagbag
from webhook import webhook_receiver

from lakehouse import pipeline
from lakehouse.lake.tables import all_tables
from lakehouse.orchestration.operators import spark_connection
from lakehouse.sandbox import sandbox_environment, sandbox_settings
from lakehouse.settings import Settings

EVENTS = 3000
LOGICAL_DATE = datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class Stack:
    """The sandbox's settings, the DAGs parsed under it, and the alerts received."""

    settings: Settings
    bag: Any
    alerts: list[dict[str, Any]]


def states(dag_run: Any) -> dict[str, str]:
    """task_id -> final state of a dag.test() run."""
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


@pytest.fixture(scope="module")
def stack(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """An isolated stack on the test broker, its events produced, the webhook listening."""
    root: Path = tmp_path_factory.mktemp("stack")
    environment = sandbox_environment(root, kafka_broker.port, kafka_broker.controller_port)
    for topic in ("plays", "skips", "likes"):
        environment[f"LAKEHOUSE__KAFKA__TOPICS__{topic.upper()}"] = f"{topic}-airflow-e2e"
    # on_failure_callback fires on the last try; retries would only wait here.
    environment["LAKEHOUSE__AIRFLOW__RETRIES"] = "0"
    with webhook_receiver() as (url, received), pytest.MonkeyPatch.context() as patch:
        # The webhook URL in the Airflow connection alerts.slack_conn_id names.
        environment["AIRFLOW_CONN_LAKEHOUSE_SLACK"] = json.dumps(
            {"conn_type": "slackwebhook", "password": url}
        )
        settings = sandbox_settings(environment)
        environment["AIRFLOW_CONN_SPARK_DEFAULT"] = spark_connection(settings)
        for name, value in environment.items():
            patch.setenv(name, value)
        pipeline.produce(
            settings, events=EVENTS, rate=None, seed=5, end=LOGICAL_DATE - timedelta(minutes=5)
        )
        yield Stack(settings, load_dagbag(environment), received)


@dataclass
class Runs:
    """The DAG runs that build the lake, and the gold tables before the daily one ran."""

    ingestion: Any
    transformation: Any
    gold_before_recommendations: set[str]
    recommendations: Any


@pytest.fixture(scope="module")
def runs(stack: Stack) -> Runs:
    """Ingestion, transformation, then the daily recommendations, as the schedules chain them;
    each test that needs a built lake asks for it, so none depends on another's order."""
    dag = stack.bag.dags["lakehouse_ingestion"]
    # Airflow 3.3.2's dag.test() passes the deadline definitions where DagRun.update_state
    # expects their database ids, and fails after the run; the scheduler path stores ids.
    # The deadline itself is checked in test_dag_structure.
    dag.deadline = None
    ingestion = dag.test(logical_date=LOGICAL_DATE)
    transformation = stack.bag.dags["lakehouse_transformation"].test(logical_date=LOGICAL_DATE)
    gold = {t.name for t in all_tables(stack.settings) if t.layer == "gold"}
    recommendations = stack.bag.dags["lakehouse_recommendations"].test(logical_date=LOGICAL_DATE)
    return Runs(ingestion, transformation, gold, recommendations)


def test_ingestion_transformation_quality_run_for_real(stack: Stack, runs: Runs) -> None:
    assert str(runs.ingestion.state) == "success"
    assert states(runs.ingestion) == {
        "ingest_bronze": "success",
        "warehouse_is_snowflake": "success",
        # DuckDB target: nothing to refresh, the short-circuit skips it.
        "refresh_snowflake_bronze": "skipped",
        "cleanup": "success",
    }
    bronze = {t.name: t.rows for t in all_tables(stack.settings) if t.layer == "bronze"}
    assert bronze["listening_events"] == EVENTS

    assert str(runs.transformation.state) == "success"
    # track_recommendations is on its own daily schedule, not in the transformation run.
    assert "track_recommendations" not in runs.gold_before_recommendations
    assert str(runs.recommendations.state) == "success"
    gold = {t.name: t.rows for t in all_tables(stack.settings) if t.layer == "gold"}
    assert set(gold) == {
        "daily_user_stats",
        "device_usage",
        "top_artists",
        "top_tracks",
        "fct_listens",
        "dim_users",
        "dim_tracks",
        "dim_artists",
        "dim_date",
        "track_recommendations",
    }
    assert all(rows for rows in gold.values())

    alerted = len(stack.alerts)
    quality = stack.bag.dags["lakehouse_quality"].test(logical_date=LOGICAL_DATE)
    assert str(quality.state) == "success", states(quality)
    assert set(states(quality).values()) == {"success"}
    assert stack.alerts[alerted:] == []


def test_a_failing_quality_check_fails_the_run_and_alerts(stack: Stack, runs: Runs) -> None:
    assert str(runs.transformation.state) == "success"  # the lake the checks read is built
    alerted = len(stack.alerts)
    stale = LOGICAL_DATE + timedelta(days=3)
    quality = stack.bag.dags["lakehouse_quality"].test(logical_date=stale)
    assert str(quality.state) == "failed"
    found = states(quality)
    assert found["freshness"] == "failed"
    assert found["volume"] == "failed"
    assert found["dbt_tests"] == "success"
    assert found["gold_non_empty"] == "success"

    by_task = {
        alert["blocks"][1]["fields"][1]["text"].split("\n")[1]: alert
        for alert in stack.alerts[alerted:]
    }
    assert set(by_task) == {"freshness", "volume"}
    freshness = by_task["freshness"]["text"]
    assert "Airflow task failed: lakehouse_quality.freshness" in freshness
    assert "QualityCheckError: FAIL freshness" in freshness
    assert "outside the 120 min window" in freshness
    assert "FAIL volume: last 24h 0 events" in by_task["volume"]["text"]
