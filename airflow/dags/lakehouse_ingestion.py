"""
### Lakehouse ingestion: Kafka -> Delta bronze

Every 15 minutes (`airflow.ingest_schedule`) the bronze job runs with the **available-now**
trigger: it drains what Kafka holds and stops. Locally it is `spark-submit` of the main
environment (the same line `lakehouse ingest --print-command` prints); with `emr.enabled`
(conf/prod.yaml) it is an EMR Serverless job run of the packaged code.

A successful ingest updates the bronze Asset, which triggers `lakehouse_transformation`.
Where the warehouse is Snowflake, `lakehouse warehouse refresh-bronze` follows each ingest,
so the warehouse never lags the lake by more than one run; on DuckDB that task is skipped.
`cleanup` removes Spark's scratch folder whatever happened upstream.
"""

from __future__ import annotations

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, TriggerRule, task

from lakehouse.config import load_settings
from lakehouse.orchestration.airflow_support import (
    BRONZE_ASSET,
    START_DATE,
    TAGS,
    deadline,
    default_args,
    remove_scratch,
    spark_scratch_dir,
)
from lakehouse.orchestration.operators import spark_python, spark_submit_operator_arguments

DAG_ID = "lakehouse_ingestion"
SETTINGS = load_settings()
SCRATCH = spark_scratch_dir(SETTINGS, DAG_ID)

with DAG(
    dag_id=DAG_ID,
    schedule=SETTINGS.airflow.ingest_schedule,
    start_date=START_DATE,
    catchup=False,
    # One writer at a time: the job's lock covers one machine, this covers the scheduler.
    max_active_runs=1,
    tags=[*TAGS, "ingestion", "spark", "bronze"],
    doc_md=__doc__,
    default_args=default_args(SETTINGS),
    deadline=deadline(DAG_ID, SETTINGS.airflow.ingest_deadline_minutes),
):
    if SETTINGS.emr.enabled:
        from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator

        from lakehouse.orchestration.emr import job_request

        ingest = EmrServerlessStartJobOperator(
            task_id="ingest_bronze",
            wait_for_completion=True,
            outlets=[BRONZE_ASSET],
            **job_request(SETTINGS, trigger="available-now"),
        )
    else:
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

        arguments = spark_submit_operator_arguments(
            SETTINGS, job_args=["--trigger", "available-now"]
        )
        arguments["env_vars"] = {**arguments["env_vars"], "SPARK_LOCAL_DIRS": str(SCRATCH)}
        ingest = SparkSubmitOperator(task_id="ingest_bronze", outlets=[BRONZE_ASSET], **arguments)

    @task.short_circuit
    def warehouse_is_snowflake() -> bool:
        """Only Snowflake reads bronze through a table that needs a refresh."""
        return load_settings().warehouse.target == "snowflake"

    refresh = BashOperator(
        task_id="refresh_snowflake_bronze",
        bash_command=(
            f"{spark_python(SETTINGS).parent / 'lakehouse'} --env {SETTINGS.env} "
            "warehouse refresh-bronze"
        ),
    )

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def cleanup() -> bool:
        """Remove Spark's scratch folder of this DAG, whatever happened upstream."""
        return remove_scratch(SCRATCH)

    ingest >> warehouse_is_snowflake() >> refresh
    ingest >> cleanup()
