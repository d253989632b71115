"""`lakehouse status`: the operator's view of the pipeline, and its OK / WARN / FAIL verdict.

One report serves the CLI (`lakehouse status`, `--json`) and the dashboard's pipeline health:
the broker, every table with its row count and freshness, Kafka lag and retention headroom
per topic-partition, the streaming queries' last micro-batch, the quarantine, and the
checks that make the verdict. Each check is WARN past its `status` threshold and FAIL past
the `quality` gate the quality DAG uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lakehouse.kafka.broker import local_broker
from lakehouse.kafka.topics import BrokerUnavailableError
from lakehouse.lake.object_store import duckdb_uri
from lakehouse.lake.tables import TableInfo, all_tables, lake_connection, newest_arrivals
from lakehouse.monitoring import kafka_health
from lakehouse.monitoring.findings import FAIL, OK, WARN, Finding, grade, verdict
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import INGEST_QUERY, LEGACY_QUERIES
from lakehouse.streaming.progress import last_progress


def _minutes_between(earlier: datetime, later: datetime) -> float:
    return round((later - earlier).total_seconds() / 60, 1)


def tables_with_freshness(
    tables: list[TableInfo], settings: Settings, at: datetime
) -> list[dict[str, Any]]:
    """Each table's stable fields plus its newest arrival time and that row's age."""
    newest = newest_arrivals(settings, tables)
    rows = []
    for table in tables:
        arrived = newest.get(table.location)
        rows.append(
            {
                **table.as_json(),
                "newest_arrival_at": arrived.isoformat() if arrived else None,
                "age_minutes": _minutes_between(arrived, at) if arrived else None,
            }
        )
    return rows


def _kafka_service(settings: Settings) -> dict[str, Any]:
    broker = local_broker(settings).status()
    return {
        "running": broker.running,
        "bootstrap_servers": settings.kafka_bootstrap,
        "pid": broker.pid,
    }


def kafka_partitions(
    settings: Settings, kafka_running: bool, at: datetime
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Lag and retention headroom per topic-partition, and the checks on them."""
    if settings.kafka.bootstrap_servers is None and not kafka_running:
        message = "the local broker is not running: start it with `lakehouse up`"
        return [], [Finding("kafka", WARN, message)]
    try:
        lags = kafka_health.partition_lags(settings)
        headrooms = kafka_health.partition_headroom_hours(settings, lags, at)
    except BrokerUnavailableError as error:
        return [], [Finding("kafka", FAIL, str(error))]
    rows = [
        {
            "topic": lag.partition.topic,
            "partition": lag.partition.partition,
            "next_offset": lag.next_offset,
            "end_offset": lag.end_offset,
            "lag": lag.lag,
            "retention_headroom_hours": headrooms.get(lag.partition),
        }
        for lag in lags
    ]
    lag_check = kafka_health.consumer_lag(settings, lags)
    lag_level = grade(
        lag_check.value or 0,
        settings.status.consumer_lag_warn,
        settings.quality.max_consumer_lag,
        higher_is_worse=True,
    )
    headroom = kafka_health.headroom_check(settings, lags, headrooms)
    headroom_level = (
        OK
        if headroom.value is None
        else grade(
            headroom.value,
            settings.status.retention_headroom_warn_hours,
            settings.quality.min_retention_headroom_hours,
            higher_is_worse=False,
        )
    )
    status = settings.status
    return rows, [
        Finding(
            "consumer_lag",
            lag_level,
            f"{lag_check.message} (WARN past {status.consumer_lag_warn:,}, "
            f"FAIL past {settings.quality.max_consumer_lag:,} in a topic)",
        ),
        Finding(
            "retention_headroom",
            headroom_level,
            f"{headroom.message}; WARN below {status.retention_headroom_warn_hours:g} h",
        ),
    ]


def streaming_queries(settings: Settings) -> list[dict[str, Any]]:
    """The last micro-batch of the bronze job's query (or of the two-query job's, before an
    upgrade's first run) that has run here."""
    names = [INGEST_QUERY] if last_progress(settings, INGEST_QUERY) else list(LEGACY_QUERIES)
    found = (last_progress(settings, name) for name in names)
    return [progress.as_json() for progress in found if progress is not None]


def quarantine_summary(settings: Settings, tables: list[TableInfo]) -> dict[str, Any] | None:
    """Quarantined rows, their share of all records written, and the count per reason."""
    rows = {table.layer: table.rows for table in tables}
    quarantined = rows.get("quarantine")
    if quarantined is None:
        return None
    written = quarantined + (rows.get("bronze") or 0)
    by_reason: list[tuple[str, int]] = []
    if quarantined:
        with lake_connection(settings) as connection:
            by_reason = connection.execute(
                "select reason, count(*) as records from delta_scan(?) "
                "group by reason order by records desc, reason",
                [duckdb_uri(settings.quarantine_location)],
            ).fetchall()
    return {
        "rows": quarantined,
        "share_of_records": round(quarantined / written, 6) if written else 0.0,
        "by_reason": [{"reason": reason, "rows": int(count)} for reason, count in by_reason],
    }


def table_findings(settings: Settings, tables: list[dict[str, Any]], at: datetime) -> list[Finding]:
    """Is there a bronze table, how fresh is it at `at`, and has dbt built the warehouse."""
    bronze = next(table for table in tables if table["layer"] == "bronze")
    if bronze["rows"] is None:
        return [
            Finding(
                "bronze",
                WARN,
                f"no bronze table yet at {bronze['location']}: run `lakehouse demo` "
                "(or `lakehouse up`, `produce`, `ingest`)",
            )
        ]
    findings = []
    # The quality DAG's freshness check is `dbt source freshness` of bronze; status is an
    # interactive view and dbt's start-up alone takes seconds, so it grades the newest
    # ingested_at it has already read for the table list instead. One definition of fresh
    # all the same: the column the dbt source names as loaded_at_field, the thresholds
    # passed to dbt as its warn_after and error_after, and dbt's rule that a level starts
    # strictly past its threshold (grade). tests/lakehouse/monitoring/test_quality.py holds
    # the two to the same levels on both sides of each threshold. The level comes from the
    # exact age (dbt's), not from the age rounded for display.
    age = bronze["age_minutes"]
    if age is None:
        findings.append(Finding("bronze_freshness", WARN, "bronze has no rows yet"))
    else:
        arrived = datetime.fromisoformat(bronze["newest_arrival_at"])
        level = grade(
            (at - arrived).total_seconds() / 60,
            settings.status.freshness_warn_minutes,
            settings.quality.freshness_minutes,
            higher_is_worse=True,
        )
        findings.append(
            Finding(
                "bronze_freshness",
                level,
                f"newest bronze row arrived {age:g} min ago (WARN past "
                f"{settings.status.freshness_warn_minutes}, FAIL past "
                f"{settings.quality.freshness_minutes})",
            )
        )
    built = any(table["layer"] in ("silver", "gold") for table in tables)
    if settings.warehouse.target == "duckdb" and not built:
        findings.append(
            Finding("warehouse", WARN, "silver and gold are not built: run `lakehouse transform`")
        )
    return findings


def quarantine_finding(settings: Settings, quarantine: dict[str, Any] | None) -> list[Finding]:
    """The quarantined share of the records against the status thresholds."""
    if quarantine is None:
        return []
    share = quarantine["share_of_records"]
    level = grade(
        share,
        settings.status.quarantine_warn_share,
        settings.status.quarantine_fail_share,
        higher_is_worse=True,
    )
    message = (
        f"{quarantine['rows']:,} records quarantined ({share:.3%} of the records written; "
        f"WARN past {settings.status.quarantine_warn_share:.2%}, "
        f"FAIL past {settings.status.quarantine_fail_share:.2%})"
    )
    return [Finding("quarantine", level, message)]


def status_report(settings: Settings, at: datetime | None = None) -> dict[str, Any]:
    """The whole report in the `lakehouse status --json` shape (services and tables first)."""
    at = at or datetime.now(UTC)
    kafka = _kafka_service(settings)
    found_tables = all_tables(settings)
    tables = tables_with_freshness(found_tables, settings, at)
    partitions, kafka_findings = kafka_partitions(settings, kafka["running"], at)
    quarantine = quarantine_summary(settings, found_tables)
    findings = [
        *table_findings(settings, tables, at),
        *kafka_findings,
        *quarantine_finding(settings, quarantine),
    ]
    return {
        "services": {"kafka": kafka},
        "tables": tables,
        "kafka_partitions": partitions,
        "streaming": streaming_queries(settings),
        "quarantine": quarantine,
        "verdict": verdict(findings),
        "at": at.isoformat(),
    }
