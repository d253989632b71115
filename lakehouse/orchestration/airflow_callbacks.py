"""Airflow callbacks: a failed task or a missed deadline becomes a Slack message and an email.

Called by Airflow with its context. Slack goes through the Slack provider's webhook hook,
email through Airflow's SMTP; both are imported when an alert is sent, so the message
building is tested without Airflow. The webhook URL is a secret and lives where Airflow
keeps secrets: in the connection alerts.slack_conn_id names (for example the variable
AIRFLOW_CONN_LAKEHOUSE_SLACK, or a secrets backend), not in conf/.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from lakehouse.config import load_settings
from lakehouse.monitoring.alerts import Alert, slack_payload
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


def send_slack(config: AlertsConfig, alert: Alert) -> bool:
    """Post the alert's payload through the Slack connection; False (and a warning) when no
    connection is configured or defined, or Slack cannot be reached.

    The provider's hook rather than its SlackWebhookNotifier: the notifier renders its text
    as a Jinja template, and an alert quotes the task's exception, which may hold `{{`.
    """
    if not config.slack_conn_id:
        log.warning("no alerts.slack_conn_id configured; alert not sent:\n%s", alert.text())
        return False
    # Imported here (lakehouse runs without Airflow), before the try whose except names one.
    from airflow.providers.common.compat.sdk import AirflowNotFoundException  # noqa: PLC0415
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook  # noqa: PLC0415

    try:
        hook = SlackWebhookHook(
            slack_webhook_conn_id=config.slack_conn_id,
            timeout=math.ceil(config.timeout_seconds),
        )
        hook.send_dict(slack_payload(alert))
    except AirflowNotFoundException as error:
        log.warning(
            "no Slack webhook in Airflow connection %r (%s); alert not sent:\n%s",
            config.slack_conn_id,
            error,
            alert.text(),
        )
        return False
    except Exception as error:
        # An unreachable Slack must not hide the failure being reported, nor fail a callback.
        log.warning("Slack webhook failed (%s); alert was:\n%s", error, alert.text())
        return False
    return True


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
