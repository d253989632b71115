"""Slack alerts through the Slack provider's webhook hook: a missing connection only warns,
an unreachable Slack only warns, and a real POST carries the exact payload."""

from __future__ import annotations

import json
import logging

import pytest
from webhook import webhook_receiver

from lakehouse.monitoring.alerts import Alert, slack_payload
from lakehouse.orchestration.airflow_callbacks import send_slack
from lakehouse.settings import AlertsConfig

ALERT = Alert(
    title="Airflow task failed",
    dag_id="lakehouse_quality",
    task_id="freshness",
    run_id="manual__1",
    reason="QualityCheckError: FAIL freshness: {{ too old }}",
)
CONNECTION_ID = "lakehouse_slack_test"


def slack_connection(monkeypatch: pytest.MonkeyPatch, url: str) -> AlertsConfig:
    """The webhook URL in an Airflow connection from the environment, as in production."""
    connection = {"conn_type": "slackwebhook", "password": url}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONNECTION_ID.upper()}", json.dumps(connection))
    return AlertsConfig(slack_conn_id=CONNECTION_ID, email=[], timeout_seconds=2)


def test_no_connection_configured_warns_and_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = AlertsConfig(slack_conn_id=None, email=[], timeout_seconds=1)
    with caplog.at_level(logging.WARNING):
        assert send_slack(config, ALERT) is False
    assert "no alerts.slack_conn_id configured; alert not sent:" in caplog.text


def test_an_undefined_connection_warns_and_does_not_raise(
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_LAKEHOUSE_SLACK_UNDEFINED", raising=False)
    config = AlertsConfig(slack_conn_id="lakehouse_slack_undefined", email=[], timeout_seconds=1)
    with caplog.at_level(logging.WARNING):
        assert send_slack(config, ALERT) is False
    # Airflow's first connection lookup configures its own (structlog) logging, which
    # writes to stdout rather than through the handler caplog installs.
    warned = caplog.text + capsys.readouterr().out
    assert "no Slack webhook in Airflow connection 'lakehouse_slack_undefined'" in warned
    assert "reason: QualityCheckError: FAIL freshness: {{ too old }}" in warned


def test_an_unreachable_webhook_warns_and_does_not_raise(
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Port 9 (discard) has no listener here: the connection is refused.
    config = slack_connection(monkeypatch, "http://127.0.0.1:9/hooks/lakehouse")
    with caplog.at_level(logging.WARNING):
        assert send_slack(config, ALERT) is False
    warned = caplog.text + capsys.readouterr().out
    assert "Slack webhook failed (" in warned
    assert "alert was:\nAirflow task failed: lakehouse_quality.freshness" in warned


def test_the_webhook_receives_the_exact_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_receiver() as (url, received):
        assert send_slack(slack_connection(monkeypatch, url), ALERT) is True
    assert received == [slack_payload(ALERT)]
    assert received[0]["text"].splitlines() == [
        "Airflow task failed: lakehouse_quality.freshness",
        "reason: QualityCheckError: FAIL freshness: {{ too old }}",
        "run: manual__1",
    ]
