"""The message a failed task or a missed deadline sends: plain text, and Slack's payload.

Only Airflow sends alerts (lakehouse/orchestration/airflow_callbacks.py posts the payload
through the Slack provider's webhook hook, and emails the text through Airflow's SMTP);
building the message needs no Airflow, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
