"""With conf/prod.yaml (emr.enabled) the ingest task is an EMR Serverless job run.

EMR cannot run here: the test renders the operator's request and checks every field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from dagbag import load_dagbag

from lakehouse.orchestration.emr import EMR_JARS


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
        "--env", "prod", "--conf-dir", "conf", "--trigger", "available-now",
    ]  # fmt: skip
    parameters = submit["sparkSubmitParameters"].split(" ")
    options = dict(zip(parameters[::2], parameters[1::2], strict=True))
    assert options["--archives"] == (
        "s3://example-lakehouse-prod/code/lakehouse_environment.tar.gz#environment,"
        "s3://example-lakehouse-prod/code/lakehouse_conf.tar.gz#conf"
    )
    # The packaged jars, without S3A (hadoop-aws, the AWS SDK bundle): EMR ships its own.
    assert options["--jars"].split(",") == [
        f"s3://example-lakehouse-prod/jars/{name}" for name in EMR_JARS
    ]
    assert not [jar for jar in EMR_JARS if jar.startswith(("hadoop-aws", "bundle-"))]
    assert options["--py-files"] == "s3://example-lakehouse-prod/code/lakehouse_job.zip"
    assert "--files" not in options
    confs = [value for option, value in zip(parameters[::2], parameters[1::2], strict=True)
             if option == "--conf"]  # fmt: skip
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in confs
    assert (
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog" in confs
    )
    assert "spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python" in confs
    assert "spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python" in confs
    assert "spark.sql.shuffle.partitions=64" in confs
    assert "spark.driver.memory=4g" in confs
    logs = task.configuration_overrides["monitoringConfiguration"]["s3MonitoringConfiguration"]
    assert logs == {"logUri": "s3://example-lakehouse-prod/logs/emr/prod"}
    assert task.aws_conn_id == "aws_default"


@pytest.mark.parametrize("jars_dir", ["empty", "missing"])
def test_prod_request_is_the_same_whatever_the_schedulers_jar_folder(
    tmp_path: Path, jars_dir: str
) -> None:
    (tmp_path / "empty").mkdir()
    expected = load_dagbag({"LAKEHOUSE_ENV": "prod"}).dags["lakehouse_ingestion"]
    bag = load_dagbag(
        {"LAKEHOUSE_ENV": "prod", "LAKEHOUSE__SPARK__JARS_DIR": str(tmp_path / jars_dir)}
    )
    # Only this DAG's file: the maintenance DAG still runs a local spark-submit in every env.
    assert not [path for path in bag.import_errors if path.endswith("lakehouse_ingestion.py")]
    task = bag.dags["lakehouse_ingestion"].get_task("ingest_bronze")
    assert task.job_driver == expected.get_task("ingest_bronze").job_driver
    assert (
        "s3://example-lakehouse-prod/jars/delta-spark_4.1_2.13-4.4.0.jar"
        in (task.job_driver["sparkSubmit"]["sparkSubmitParameters"])
    )
