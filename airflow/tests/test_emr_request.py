"""With conf/prod.yaml (emr.enabled) the ingest task is an EMR Serverless job run.

EMR cannot run here: the test renders the operator's request and checks every field.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from dagbag import load_dagbag

from lakehouse.config import load_settings
from lakehouse.spark_submit import spark_jars


def test_prod_ingest_is_an_emr_serverless_job_of_the_packaged_code() -> None:
    bag = load_dagbag({"LAKEHOUSE_ENV": "prod"})
    task = bag.dags["lakehouse_ingestion"].get_task("ingest_bronze")
    assert isinstance(task, EmrServerlessStartJobOperator)
    assert task.application_id == "00example0prod0app"
    assert task.execution_role_arn == "arn:aws:iam::123456789012:role/lakehouse-prod-emr-job"
    assert task.wait_for_completion is True
    assert [outlet.name for outlet in task.outlets] == ["lakehouse_bronze_listening_events"]

    submit = task.job_driver["sparkSubmit"]
    assert submit["entryPoint"] == "s3://example-lakehouse-prod/code/bronze_ingest.py"
    assert submit["entryPointArguments"] == [
        "--env", "prod", "--conf-dir", ".", "--trigger", "available-now",
    ]  # fmt: skip
    parameters = submit["sparkSubmitParameters"].split(" ")
    options = dict(zip(parameters[::2], parameters[1::2], strict=True))
    jar_names = [jar.name for jar in spark_jars(load_settings("prod"))]
    assert options["--jars"].split(",") == [
        f"s3://example-lakehouse-prod/jars/{name}" for name in jar_names
    ]
    assert options["--py-files"] == "s3://example-lakehouse-prod/code/lakehouse_job.zip"
    assert options["--files"] == (
        "s3://example-lakehouse-prod/code/base.yaml,s3://example-lakehouse-prod/code/prod.yaml"
    )
    confs = [value for option, value in zip(parameters[::2], parameters[1::2], strict=True)
             if option == "--conf"]  # fmt: skip
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in confs
    assert "spark.sql.shuffle.partitions=64" in confs
    assert "spark.driver.memory=4g" in confs
    logs = task.configuration_overrides["monitoringConfiguration"]["s3MonitoringConfiguration"]
    assert logs == {"logUri": "s3://example-lakehouse-prod/logs/emr/prod"}
    assert task.aws_conn_id == "aws_default"
