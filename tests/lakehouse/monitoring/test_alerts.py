"""Alerts: the Slack payload, a missing webhook only warns, a real POST arrives."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from lakehouse.monitoring.alerts import Alert, send_slack, slack_payload
from lakehouse.orchestration.airflow_callbacks import failure_alert
from lakehouse.settings import AlertsConfig

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


def test_missing_webhook_warns_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    config = AlertsConfig(slack_webhook_url=None, email=[], timeout_seconds=1)
    with caplog.at_level(logging.WARNING):
        assert send_slack(config, ALERT) is False
    assert "no alerts.slack_webhook_url configured" in caplog.text


def test_unreachable_webhook_warns_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    config = AlertsConfig(slack_webhook_url="http://127.0.0.1:9/x", email=[], timeout_seconds=1)
    with caplog.at_level(logging.WARNING):
        assert send_slack(config, ALERT) is False
    assert "Slack webhook failed" in caplog.text


def test_webhook_receives_the_payload() -> None:
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert send_slack(AlertsConfig(slack_webhook_url=url, email=[], timeout_seconds=5), ALERT)
    finally:
        thread.join(5)
        server.server_close()
    assert received == [slack_payload(ALERT)]


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
