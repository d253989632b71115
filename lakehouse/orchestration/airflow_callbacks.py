"""Airflow callbacks: a failed task or a missed deadline becomes a Slack message and an email.

Called by Airflow with its context; Airflow itself is imported only for email, so the
message building is tested without it. Settings are read when the callback runs, which
lets the webhook URL come from the environment (LAKEHOUSE__ALERTS__SLACK_WEBHOOK_URL).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lakehouse.config import load_settings
from lakehouse.monitoring.alerts import Alert, send_slack
from lakehouse.settings import AlertsConfig

log = logging.getLogger(__name__)


def failure_alert(context: Mapping[str, Any]) -> Alert:
    """The alert for a failed task, from the callback context."""
    task_instance = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    exception = context.get("exception")
    reason = f"{type(exception).__name__}: {exception}" if exception else "task failed"
    return Alert(
        title="Airflow task failed",
        dag_id=str(getattr(dag, "dag_id", None) or getattr(task_instance, "dag_id", "?")),
        task_id=getattr(task_instance, "task_id", None),
        run_id=context.get("run_id") or getattr(task_instance, "run_id", None),
        log_url=getattr(task_instance, "log_url", None),
        reason=reason,
        details={"try": str(getattr(task_instance, "try_number", "?"))},
    )


def send_email(config: AlertsConfig, alert: Alert) -> None:
    """Email the alert through Airflow's SMTP settings; a mail problem only logs a warning."""
    if not config.email:
        return
    try:
        from airflow.utils.email import send_email as airflow_send_email  # noqa: PLC0415

        airflow_send_email(config.email, f"[lakehouse] {alert.title}", f"<pre>{alert.text()}</pre>")
    except Exception as error:
        log.warning("alert email to %s failed: %s", config.email, error)


def notify(alert: Alert) -> None:
    """Send an alert on every configured channel."""
    config = load_settings().alerts
    send_slack(config, alert)
    send_email(config, alert)


def on_failure(context: Mapping[str, Any]) -> None:
    """on_failure_callback of every task: alert with the DAG, the task and the error."""
    notify(failure_alert(context))


def deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """DeadlineAlert callback: the DAG run is not done by its deadline."""
    context = context or {}
    dag_run = context.get("dag_run")
    dag_id = kwargs.get("dag_id") or getattr(dag_run, "dag_id", "?")
    minutes = kwargs.get("minutes")
    notify(
        Alert(
            title="Airflow deadline missed",
            dag_id=str(dag_id),
            run_id=getattr(dag_run, "run_id", None),
            reason=f"the run was not finished {minutes} minutes after it was queued",
        )
    )
