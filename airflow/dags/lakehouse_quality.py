"""
### Lakehouse quality monitoring

Every 30 minutes (`airflow.quality_schedule`), each check a task of its own, judged at the
end of the run's data interval (thresholds in the `quality` section of conf/):

| task | passes when |
| --- | --- |
| `silver_retention` | silver rows / distinct bronze event ids >= `min_silver_retention` (0.95) |
| `freshness` | (`dbt source freshness`) the newest bronze row arrived <= `freshness_minutes` ago |
| `dbt_tests` | every test of the last `dbt test` passed |
| `volume` | last 24h / mean day of the prior `volume_history_days` >= `min_volume_ratio` |
| `gold_non_empty` | every gold table has rows |
| `consumer_lag` | unread Kafka records per topic <= `max_consumer_lag` |
| `retention_headroom` | the oldest unread record expires in >= `min_retention_headroom_hours` |

A failed check fails its task (and the run) and sends an alert naming the check, its value
and its threshold. Freshness is dbt's own check of the bronze source (`loaded_at_field:
ingested_at`, WARN past `status.freshness_warn_minutes`, ERROR past `freshness_minutes`),
measured at the interval's end; a WARN is logged and passes.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from lakehouse.config import load_settings
from lakehouse.monitoring import kafka_health, quality
from lakehouse.monitoring.findings import Finding
from lakehouse.orchestration.airflow_support import START_DATE, TAGS, default_args
from lakehouse.orchestration.operators import dbt_artifacts_dir

DAG_ID = "lakehouse_quality"
SETTINGS = load_settings()

QUALITY_ARGS = {
    **default_args(SETTINGS),
    # A failed check is a finding, not a flaky step: one quick retry at most.
    "retries": min(1, SETTINGS.airflow.retries),
}


def _verdict(result: Finding) -> dict[str, object]:
    print(result.line())
    quality.raise_on_failure([result])
    return {"name": result.check, "value": result.value, "threshold": result.threshold}


with DAG(
    dag_id=DAG_ID,
    schedule=SETTINGS.airflow.quality_schedule,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*TAGS, "quality", "monitoring"],
    doc_md=__doc__,
    default_args=QUALITY_ARGS,
):

    @task
    def silver_retention() -> dict[str, object]:
        """Bronze -> silver retention."""
        return _verdict(quality.silver_retention(load_settings()))

    @task
    def freshness(data_interval_end: datetime | None = None) -> dict[str, object]:
        """`dbt source freshness` of bronze: the newest arrival within the window."""
        assert data_interval_end is not None
        settings = load_settings()
        folder = dbt_artifacts_dir(settings, "freshness")
        return _verdict(quality.freshness(settings, data_interval_end, folder))

    @task
    def dbt_tests() -> dict[str, object]:
        """The last dbt test run passed entirely."""
        folder = dbt_artifacts_dir(load_settings(), "test")
        return _verdict(quality.dbt_tests(folder / "target" / "run_results.json"))

    @task
    def volume(data_interval_end: datetime | None = None) -> dict[str, object]:
        """Last 24 hours against the trailing daily average."""
        assert data_interval_end is not None
        return _verdict(quality.volume(load_settings(), data_interval_end))

    @task
    def gold_non_empty() -> dict[str, object]:
        """Every gold table has rows."""
        return _verdict(quality.gold_non_empty(load_settings()))

    @task
    def consumer_lag() -> dict[str, object]:
        """Records Kafka holds that bronze has not read."""
        settings = load_settings()
        return _verdict(kafka_health.consumer_lag(settings, kafka_health.partition_lags(settings)))

    @task
    def retention_headroom(data_interval_end: datetime | None = None) -> dict[str, object]:
        """Time until unread records expire."""
        assert data_interval_end is not None
        settings = load_settings()
        lags = kafka_health.partition_lags(settings)
        return _verdict(kafka_health.retention_headroom(settings, lags, data_interval_end))

    # Independent checks: all run, each fails on its own.
    silver_retention()
    freshness()
    dbt_tests()
    volume()
    gold_non_empty()
    consumer_lag()
    retention_headroom()
