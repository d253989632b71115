"""
### Lakehouse recommendations: track_recommendations, once a day

Daily (`airflow.recommendations_schedule`): `dbt build` of the models tagged `daily`
(track_recommendations) and their tests, over the silver events the transformation DAG keeps
up to date. It is rebuilt whole: one new listener of a track changes its counts with every
other track that listener played, so an incremental run would recompute nearly every track.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.orchestration.airflow_support import START_DATE, TAGS, default_args
from lakehouse.orchestration.operators import dbt_artifacts_dir

DAG_ID = "lakehouse_recommendations"
SETTINGS = load_settings()

with DAG(
    dag_id=DAG_ID,
    schedule=SETTINGS.airflow.recommendations_schedule,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*TAGS, "transformation", "dbt"],
    doc_md=__doc__,
    default_args=default_args(SETTINGS),
):

    @task
    def dbt_recommendations() -> None:
        """`dbt build` of the daily models and their tests."""
        settings = load_settings()
        pipeline.transform(
            settings,
            select=pipeline.DAILY_MODELS,
            artifacts_dir=dbt_artifacts_dir(settings, "recommendations"),
        )

    dbt_recommendations()
