"""
### Lakehouse maintenance: OPTIMIZE closed bronze partitions, then VACUUM

Daily (`airflow.maintenance_schedule`), `jobs/bronze_maintenance.py` through spark-submit:
compaction of the hour partitions that closed `maintenance.closed_partition_lag_hours`
before the run's data interval end, then VACUUM keeping `maintenance.vacuum_retention_hours`
of history. The configuration refuses a retention under 168 hours, Delta's own floor, so
the streaming checkpoint and readers of older snapshots always keep their files.
`cleanup` removes Spark's scratch folder whatever happened upstream.
"""

from __future__ import annotations

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, TriggerRule, task

from lakehouse.config import load_settings
from lakehouse.orchestration.airflow_support import (
    START_DATE,
    TAGS,
    default_args,
    remove_scratch,
    spark_scratch_dir,
)
from lakehouse.orchestration.operators import MAINTENANCE_JOB, spark_submit_operator_arguments

DAG_ID = "lakehouse_maintenance"
SETTINGS = load_settings()
SCRATCH = spark_scratch_dir(SETTINGS, DAG_ID)

# The data interval end, less the lag, truncated to the hour: hour partitions before it are
# closed, no late event lands in them (airflow/tests/test_dag_structure.py renders it).
LAG_HOURS = SETTINGS.maintenance.closed_partition_lag_hours
CLOSED_BEFORE = (
    "{{ (data_interval_end - macros.timedelta(hours=" + str(LAG_HOURS) + "))"
    ".strftime('%Y-%m-%dT%H:00:00') }}"
)

with DAG(
    dag_id=DAG_ID,
    schedule=SETTINGS.airflow.maintenance_schedule,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*TAGS, "maintenance", "delta"],
    doc_md=__doc__,
    default_args=default_args(SETTINGS),
):
    arguments = spark_submit_operator_arguments(
        SETTINGS, job=MAINTENANCE_JOB, job_args=["--closed-before", CLOSED_BEFORE]
    )
    arguments["env_vars"] = {**arguments["env_vars"], "SPARK_LOCAL_DIRS": str(SCRATCH)}
    arguments["name"] = f"{arguments['name']}-maintenance"
    optimize_and_vacuum = SparkSubmitOperator(task_id="optimize_and_vacuum", **arguments)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def cleanup() -> bool:
        """Remove Spark's scratch folder of this DAG, whatever happened upstream."""
        return remove_scratch(SCRATCH)

    optimize_and_vacuum >> cleanup()
