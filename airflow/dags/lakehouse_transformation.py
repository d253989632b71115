"""
### Lakehouse transformation: dbt silver -> gold -> tests

Triggered by the bronze Asset (each successful ingestion). One task per dbt layer, in
order: staging + silver and the users snapshot in one dbt command (`dbt build` without its
tests: each dbt command pays dbt's start-up and project load again), `dbt run` of gold,
then `dbt test` of every data test. Silver and gold are incremental: a run reads what arrived
since the last. track_recommendations (dbt tag `daily`) is left out: `lakehouse_recommendations`
rebuilds and tests it once a day; dbt's unit tests check the SQL, not the data, and run in CI.
The reference branch (dbt tag `reference`: reference views, users snapshot, dimensions) and
the tests that read only it are left out while the reference files and the dbt project are
as they were at its last build, which the warehouse records once its tests have passed.
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
from lakehouse.warehouse.reference_inputs import ReferencePlan

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
    def dbt_silver() -> dict[str, object]:
        """Staging views, the deduplicated silver events, then the users snapshot (the
        history that gold's type-2 dim_users is built from). Decides first whether this run
        leaves the reference branch out (its inputs unchanged since its last build); the
        later steps follow that decision, passed on through XCom."""
        settings = load_settings()
        reference = pipeline.reference_plan(settings)
        pipeline.transform(
            settings,
            select=SILVER_SELECTION,
            exclude=NO_TESTS,
            dbt_command="build",
            artifacts_dir=dbt_artifacts_dir(settings, "silver"),
            reference=reference,
        )
        return reference.to_dict()

    @task
    def dbt_gold(reference: dict[str, object]) -> None:
        """The gold marts."""
        settings = load_settings()
        pipeline.transform(
            settings,
            select=GOLD_SELECTION,
            exclude=pipeline.DAILY_MODELS,
            dbt_command="run",
            artifacts_dir=dbt_artifacts_dir(settings, "gold"),
            reference=ReferencePlan.from_dict(reference),
        )

    @task(outlets=[GOLD_ASSET])
    def dbt_test(reference: dict[str, object]) -> None:
        """Every dbt data test of every layer, but those of the daily models (unit tests
        check the SQL, not the data: CI runs them). When the run built the reference branch,
        its inputs are recorded once its tests have passed."""
        settings = load_settings()
        plan = ReferencePlan.from_dict(reference)
        pipeline.transform(
            settings,
            exclude=pipeline.SCHEDULED_RUN_EXCLUDES,
            dbt_command="test",
            artifacts_dir=dbt_artifacts_dir(settings, "test"),
            reference=plan,
        )
        pipeline.record_reference(settings, plan)

    reference = dbt_silver()
    dbt_gold(reference) >> dbt_test(reference)
