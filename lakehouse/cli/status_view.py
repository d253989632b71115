"""The human view of `lakehouse status`: a table per section, then the verdict line."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from lakehouse.monitoring.findings import FAIL, OK, WARN, verdict_line

LEVEL_STYLES = {OK: "green", WARN: "yellow", FAIL: "bold red"}


def _number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{decimals}f}"


def _tables(report: dict[str, Any]) -> Table:
    table = Table("layer", "name", "rows", "newest arrival (UTC)", "age (min)", "location")
    table.title = "Tables"
    for row in report["tables"]:
        arrived = row["newest_arrival_at"]
        table.add_row(
            row["layer"],
            row["name"],
            _number(row["rows"]),
            arrived[:19].replace("T", " ") if arrived else "-",
            _number(row["age_minutes"], 1),
            row["location"],
        )
    return table


def _partitions(report: dict[str, Any]) -> Table:
    table = Table("topic", "partition", "next offset", "end offset", "lag", "headroom (h)")
    table.title = "Kafka partitions (bronze job)"
    for row in report["kafka_partitions"]:
        table.add_row(
            row["topic"],
            str(row["partition"]),
            _number(row["next_offset"]),
            _number(row["end_offset"]),
            _number(row["lag"]),
            _number(row["retention_headroom_hours"], 1),
        )
    return table


def _streaming(report: dict[str, Any]) -> Table:
    table = Table("query", "batch", "at (UTC)", "input rows", "input/s", "processed/s", "batch ms")
    table.title = "Streaming queries: last micro-batch"
    for row in report["streaming"]:
        table.add_row(
            row["query"],
            str(row["batch_id"]),
            row["at"][:19].replace("T", " "),
            _number(row["input_rows"]),
            _number(row["input_rows_per_second"], 1),
            _number(row["processed_rows_per_second"], 1),
            _number(row["batch_duration_ms"]),
        )
    return table


def _quarantine(quarantine: dict[str, Any]) -> Table:
    table = Table("reason", "rows")
    table.title = (
        f"Quarantine: {quarantine['rows']:,} rows "
        f"({quarantine['share_of_records']:.3%} of the records written)"
    )
    for row in quarantine["by_reason"]:
        table.add_row(row["reason"], _number(row["rows"]))
    return table


def _checks(report: dict[str, Any]) -> Table:
    table = Table("", "check", "what was seen")
    table.title = "Checks"
    for check in report["verdict"]["checks"]:
        level = check["level"]
        table.add_row(f"[{LEVEL_STYLES[level]}]{level}[/]", check["check"], check["message"])
    return table


def print_status(report: dict[str, Any], console: Console) -> None:
    """Every section of the report, then the verdict line."""
    kafka = report["services"]["kafka"]
    running = "[green]running[/]" if kafka["running"] else "[red]not running[/]"
    console.print(f"Kafka: {running} at {kafka['bootstrap_servers']}")
    console.print(_tables(report))
    if report["kafka_partitions"]:
        console.print(_partitions(report))
    if report["streaming"]:
        console.print(_streaming(report))
    else:
        console.print("Streaming queries: no micro-batch recorded on this machine yet.")
    if report["quarantine"] is not None:
        console.print(_quarantine(report["quarantine"]))
    console.print(_checks(report))
    style = LEVEL_STYLES[report["verdict"]["level"]]
    console.print(f"[{style}]{verdict_line(report)}[/]", highlight=False)
