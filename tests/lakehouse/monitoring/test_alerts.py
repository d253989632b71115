"""Alerts: the Slack payload and the alert of a failed task, built without Airflow.

Sending goes through Airflow's Slack provider: airflow/tests/test_airflow_callbacks.py
posts to a local webhook from Airflow's environment.
"""

from __future__ import annotations

from lakehouse.monitoring.alerts import Alert, slack_payload
from lakehouse.orchestration.airflow_callbacks import failure_alert

ALERT = Alert(
    title="Airflow task failed",
    dag_id="lakehouse_quality",
    task_id="freshness",
    run_id="manual__1",
    reason="QualityCheckError: FAIL freshness: too old",
)


def test_payload_names_dag_task_and_reason() -> None:
    payload = slack_payload(ALERT)
    assert payload["text"].splitlines() == [
        "Airflow task failed: lakehouse_quality.freshness",
        "reason: QualityCheckError: FAIL freshness: too old",
        "run: manual__1",
    ]
    fields = [field["text"] for field in payload["blocks"][1]["fields"]]
    assert fields == ["*DAG*\nlakehouse_quality", "*Task*\nfreshness", "*Run*\nmanual__1"]


def test_failure_alert_from_an_airflow_like_context() -> None:
    class TaskInstance:
        dag_id = "lakehouse_ingestion"
        task_id = "ingest_bronze"
        run_id = "scheduled__2"
        try_number = 4
        log_url = "http://localhost:8080/log"

    alert = failure_alert({"ti": TaskInstance(), "exception": RuntimeError("exit code 1")})
    assert alert.dag_id == "lakehouse_ingestion"
    assert alert.task_id == "ingest_bronze"
    assert alert.reason == "RuntimeError: exit code 1"
    assert alert.details == {"try": "4"}
    assert alert.log_url == "http://localhost:8080/log"
