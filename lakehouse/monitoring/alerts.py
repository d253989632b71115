"""Alerts to a Slack incoming webhook: the message a failure or a missed deadline sends.

A missing webhook is not an error: the alert is logged as a warning and nothing fails, so a
laptop without Slack runs the same DAGs. Email goes through Airflow's SMTP (airflow/dags).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from lakehouse.settings import AlertsConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    """What went wrong, where: enough for whoever is on call to start from the message."""

    title: str
    dag_id: str
    reason: str
    task_id: str | None = None
    run_id: str | None = None
    log_url: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The alert as plain text (Slack fallback, email body, log line)."""
        where = self.dag_id if self.task_id is None else f"{self.dag_id}.{self.task_id}"
        lines = [f"{self.title}: {where}", f"reason: {self.reason}"]
        lines += [f"{key}: {value}" for key, value in self.details.items()]
        if self.run_id:
            lines.append(f"run: {self.run_id}")
        if self.log_url:
            lines.append(f"log: {self.log_url}")
        return "\n".join(lines)


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The incoming-webhook JSON: a text fallback and blocks with the fields."""
    fields = [
        {"type": "mrkdwn", "text": f"*DAG*\n{alert.dag_id}"},
        {"type": "mrkdwn", "text": f"*Task*\n{alert.task_id or '-'}"},
    ]
    if alert.run_id:
        fields.append({"type": "mrkdwn", "text": f"*Run*\n{alert.run_id}"})
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Reason*\n{alert.reason}"}},
    ]
    if alert.log_url:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{alert.log_url}|Task log>"}}
        )
    return {"text": alert.text(), "blocks": blocks}


def send_slack(config: AlertsConfig, alert: Alert) -> bool:
    """Post the alert to the webhook; False (and a warning) when none is set or it fails."""
    if not config.slack_webhook_url:
        log.warning("no alerts.slack_webhook_url configured; alert not sent:\n%s", alert.text())
        return False
    request = urllib.request.Request(
        config.slack_webhook_url,
        data=json.dumps(slack_payload(alert)).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:
            status = int(response.status)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        # An unreachable Slack must not hide the failure being reported, nor fail a callback.
        log.warning("Slack webhook failed (%s); alert was:\n%s", error, alert.text())
        return False
    return 200 <= status < 300
