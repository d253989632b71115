"""The human and JSON views of `lakehouse check`: the per-partition table and the verdict."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Column, Table

from lakehouse.monitoring.findings import OK
from lakehouse.monitoring.reconcile import (
    DUPLICATE,
    EXIT_OK,
    GAP,
    LAG,
    LOST,
    CheckReport,
    check,
)
from lakehouse.settings import Settings

VERDICT_STYLES = {
    OK: "green",
    LAG: "yellow",
    LOST: "magenta",
    GAP: "bold red",
    DUPLICATE: "bold red",
}


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _verdict_text(verdicts: Sequence[str]) -> str:
    return "\n".join(f"[{VERDICT_STYLES[verdict]}]{verdict}[/]" for verdict in verdicts)


def print_report(report: CheckReport, console: Console, *, accept_recorded_loss: bool) -> None:
    """The per-partition table, then one line that says whether the check passed and why."""
    labels = [f"{row.topic}[{row.partition}]" for row in report.partitions]
    table = Table(
        # The one column that must stay whole when a narrow terminal squeezes the table.
        Column(
            "partition", no_wrap=True, min_width=max([len(label) for label in labels], default=9)
        ),
        Column("kafka\nearliest", justify="right"),
        Column("kafka\nend", justify="right"),
        Column("committed", justify="right"),
        Column("rows\nbronze", justify="right"),
        Column("rows\nquarantine", justify="right"),
        Column("duplicates", justify="right"),
        Column("gaps", justify="right"),
        Column("recorded\nloss", justify="right"),
        Column("lag", justify="right"),
        Column("verdict", no_wrap=True, min_width=len(DUPLICATE)),
        title="Kafka offsets vs checkpoints vs bronze + quarantine",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for label, row in zip(labels, report.partitions, strict=True):
        table.add_row(
            label,
            _number(row.kafka_earliest),
            _number(row.kafka_end),
            _number(row.committed),
            _number(row.bronze.rows),
            _number(row.quarantine.rows),
            _number(row.duplicates),
            _number(row.gaps),
            _number(row.recorded_loss),
            _number(row.lag),
            _verdict_text(row.verdicts),
        )
    console.print(table)
    failing = report.failing(accept_recorded_loss=accept_recorded_loss)
    if not report.partitions:
        console.print("Nothing to check: the topics do not exist and nothing was ingested.")
    elif not failing:
        console.print(
            "[green]OK[/]: every committed offset is in bronze or quarantine exactly once"
            + (" or recorded as lost." if accept_recorded_loss else ".")
        )
    else:
        console.print(f"[bold red]FAILED[/]: {len(failing)} partition(s) do not reconcile.")
    explanations = {
        GAP: "GAP: offsets committed by the job in neither table, or deleted by Kafka before "
        "the job read them, and not recorded as lost.",
        DUPLICATE: "DUPLICATE: an offset in more than one row, in one table or across both.",
        LOST: f"LOST: deleted by Kafka before ingestion and recorded in "
        f"{report.data_loss_location}; --accept-recorded-loss lets the check pass.",
        LAG: "LAG: records in Kafka the job has not read yet (not an error).",
    }
    seen = {verdict for row in report.partitions for verdict in row.verdicts}
    for verdict, explanation in explanations.items():
        if verdict in seen and not (verdict == LOST and accept_recorded_loss):
            console.print(f"  {explanation}", highlight=False)


def run_check(
    settings: Settings, *, as_json: bool, accept_recorded_loss: bool, console: Console
) -> int:
    """Run the check, print it (table or JSON) and return the exit code for the CLI."""
    report = check(settings)
    code = report.exit_code(accept_recorded_loss=accept_recorded_loss)
    if as_json:
        payload = {
            "ok": code == EXIT_OK,
            "accept_recorded_loss": accept_recorded_loss,
            "partitions": [row.as_json() for row in report.partitions],
        }
        console.out(json.dumps(payload, indent=2), highlight=False)
    else:
        print_report(report, console, accept_recorded_loss=accept_recorded_loss)
    return code
