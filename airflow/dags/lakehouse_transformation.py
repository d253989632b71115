"""
### Lakehouse transformation: dbt silver -> gold -> tests

Triggered by the bronze Asset (each successful ingestion). One task per dbt layer, in
order: staging + silver and the users snapshot in one dbt command (`dbt build` without its
tests: each dbt command pays dbt's start-up and project load again), `dbt run` of gold,
then `dbt test` of every data test. Silver and gold are incremental: a run reads what arrived
since the last. track_recommendations (dbt tag `daily`) is left out: `lakehouse_recommendations`
rebuilds and tests it once a day; dbt's unit tests check the SQL, not the data, and run in CI.
Each step keeps its own dbt artifacts under `<state_dir>/dbt/<step>`; the quality DAG reads
the test step's `run_results.json`. On failure dbt's log path is in the task's error.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.orchestration.airflow_support import (
    BRONZE_ASSET,
    GOLD_ASSET,
    START_DATE,
    TAGS,
    default_args,
)
from lakehouse.orchestration.operators import dbt_artifacts_dir

DAG_ID = "lakehouse_transformation"
SETTINGS = load_settings()

# dbt node selections of the two layers (folders of dbt/models); silver's takes the users
# snapshot too, which gold's type-2 dim_users is built from.
SILVER_SELECTION = "path:models/staging path:models/intermediate resource_type:snapshot"
# The silver step builds, the dbt_test step tests.
NO_TESTS = "resource_type:test resource_type:unit_test"
GOLD_SELECTION = "path:models/marts"

with DAG(
    dag_id=DAG_ID,
    schedule=[BRONZE_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*TAGS, "transformation", "dbt"],
    doc_md=__doc__,
    default_args=default_args(SETTINGS),
):

    @task
    def dbt_silver() -> None:
        """Staging views, the deduplicated silver events, then the users snapshot (the
        history that gold's type-2 dim_users is built from)."""
        settings = load_settings()
        pipeline.transform(
            settings,
            select=SILVER_SELECTION,
            exclude=NO_TESTS,
            dbt_command="build",
            artifacts_dir=dbt_artifacts_dir(settings, "silver"),
        )

    @task
    def dbt_gold() -> None:
        """The gold marts."""
        settings = load_settings()
        pipeline.transform(
            settings,
            select=GOLD_SELECTION,
            exclude=pipeline.DAILY_MODELS,
            dbt_command="run",
            artifacts_dir=dbt_artifacts_dir(settings, "gold"),
        )

    @task(outlets=[GOLD_ASSET])
    def dbt_test() -> None:
        """Every dbt data test of every layer, but those of the daily models (unit tests
        check the SQL, not the data: CI runs them)."""
        settings = load_settings()
        pipeline.transform(
            settings,
            exclude=pipeline.SCHEDULED_RUN_EXCLUDES,
            dbt_command="test",
            artifacts_dir=dbt_artifacts_dir(settings, "test"),
        )

    dbt_silver() >> dbt_gold() >> dbt_test()
