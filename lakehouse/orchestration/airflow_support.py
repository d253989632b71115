"""What every lakehouse DAG (airflow/dags) shares: settings, start date, assets, default_args.

Each DAG file loads the settings itself when parsed (two YAML files: cheap, no network, no
Airflow DB); a module-level copy here would be frozen at its first import. Tasks load the
settings again when they run.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, DeadlineAlert, DeadlineReference, SyncCallback

from lakehouse.orchestration.airflow_callbacks import deadline_missed, on_failure
from lakehouse.orchestration.operators import retry_arguments
from lakehouse.settings import Settings

# Fixed and timezone-aware; catchup is off, so it only bounds the first run.
START_DATE = datetime(2026, 11, 1, tzinfo=UTC)

BRONZE_ASSET = Asset(
    name="lakehouse_bronze_listening_events", uri="lakehouse://bronze/listening_events"
)
GOLD_ASSET = Asset(name="lakehouse_gold", uri="lakehouse://gold/marts")

TAGS = ["lakehouse"]


def default_args(settings: Settings) -> dict[str, Any]:
    """Owner, retries with exponential backoff and the failure alert, for every task."""
    return {
        "owner": "data-platform",
        "on_failure_callback": on_failure,
        **retry_arguments(settings),
    }


def deadline(dag_id: str, minutes: int) -> DeadlineAlert:
    """Alert when a run is not finished `minutes` after it was queued (Airflow 3's SLA)."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=minutes),
        callback=SyncCallback(deadline_missed, kwargs={"dag_id": dag_id, "minutes": minutes}),
    )


def spark_scratch_dir(settings: Settings, dag_id: str) -> Path:
    """Spark's local scratch folder of one DAG (SPARK_LOCAL_DIRS); cleanup removes it."""
    return settings.state_path / "spark-scratch" / dag_id


def remove_scratch(folder: Path) -> bool:
    """Remove a scratch folder; True when there was one."""
    existed = folder.exists()
    shutil.rmtree(folder, ignore_errors=True)
    return existed
