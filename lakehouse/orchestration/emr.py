"""The bronze job's StartJobRun request for EMR Serverless, naming the packaged artifacts.

EMR runs the same entry point (jobs/bronze_ingest.py): the job code zipped for --py-files,
conf/ and the packed Python environment as archives that EMR unpacks into the driver's and
executors' working folders (`#conf`, `#environment`), and the connector jars EMR does not
ship. `lakehouse.orchestration.emr_package` builds exactly these files; this module only
names them, so parsing the DAG reads nothing but conf/ (no jar folder, no S3).
"""

from __future__ import annotations

from typing import Any

from lakehouse.settings import Settings
from lakehouse.streaming.spark_submit import BRONZE_JOB, DELTA_CONF, storage_conf

CODE_ARCHIVE = "lakehouse_job.zip"
CONF_ARCHIVE = "lakehouse_conf.tar.gz"
ENVIRONMENT_ARCHIVE = "lakehouse_environment.tar.gz"
MANIFEST = "manifest.json"
# Where EMR unpacks the two archives, relative to the driver's working folder.
CONF_ALIAS = "conf"
ENVIRONMENT_ALIAS = "environment"
ENVIRONMENT_PYTHON = f"./{ENVIRONMENT_ALIAS}/bin/python"

# The jars EMR needs from us: Delta and the Kafka source with their non-Spark dependencies,
# i.e. what scripts/setup.sh resolves from jvm/spark/pom.xml minus S3A (hadoop-aws and the
# AWS SDK bundle), which EMR ships itself. A list in code, not a glob of a local folder, so
# the request is the same wherever the DAG is parsed. `package-emr` refuses to build when
# the resolved jars differ from it, and tests/lakehouse/orchestration/test_emr.py checks it
# against the POM.
EMR_JARS = (
    "commons-pool2-2.12.1.jar",
    "delta-kernel-api-4.4.0.jar",
    "delta-kernel-defaults-4.4.0.jar",
    "delta-kernel-unitycatalog-4.4.0.jar",
    "delta-spark_4.1_2.13-4.4.0.jar",
    "delta-storage-4.4.0.jar",
    "jackson-datatype-jdk8-2.13.5.jar",
    "javax.annotation-api-1.3.2.jar",
    "kafka-clients-3.9.1.jar",
    "spark-sql-kafka-0-10_2.13-4.1.1.jar",
    "spark-token-provider-kafka-0-10_2.13-4.1.1.jar",
    "unitycatalog-client-0.6.0.jar",
    "unitycatalog-hadoop-0.6.0.jar",
)
# File name prefixes of the S3A jars set-up resolves for local runs; EMR brings its own.
S3A_JAR_PREFIXES = ("hadoop-aws-", "bundle-")


class EmrConfigError(Exception):
    """EMR is not configured for this environment; the message names the setting."""


def _uri(base: str | None, name: str) -> str:
    if not base:
        raise EmrConfigError("emr: code_uri, jars_uri and logs_uri must be set")
    return f"{base.rstrip('/')}/{name}"


def environment_conf() -> dict[str, str]:
    """Driver and executors run Python from the unpacked environment archive."""
    return {
        "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON": ENVIRONMENT_PYTHON,
        "spark.emr-serverless.driverEnv.PYSPARK_PYTHON": ENVIRONMENT_PYTHON,
        "spark.executorEnv.PYSPARK_PYTHON": ENVIRONMENT_PYTHON,
    }


def spark_submit_parameters(settings: Settings) -> str:
    """--archives, --jars, --py-files and --conf of the job, with the artifacts on S3."""
    emr = settings.emr
    archives = ",".join(
        [
            f"{_uri(emr.code_uri, ENVIRONMENT_ARCHIVE)}#{ENVIRONMENT_ALIAS}",
            f"{_uri(emr.code_uri, CONF_ARCHIVE)}#{CONF_ALIAS}",
        ]
    )
    jars = ",".join(_uri(emr.jars_uri, name) for name in EMR_JARS)
    conf = {
        **environment_conf(),
        **DELTA_CONF,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.driver.memory": settings.spark.driver_memory,
        **storage_conf(settings),
        **settings.spark.conf,
    }
    parameters = [
        f"--archives {archives}",
        f"--jars {jars}",
        f"--py-files {_uri(emr.code_uri, CODE_ARCHIVE)}",
        *(f"--conf {key}={value}" for key, value in conf.items()),
    ]
    return " ".join(parameters)


def job_request(settings: Settings, trigger: str = "available-now") -> dict[str, Any]:
    """Keyword arguments of EmrServerlessStartJobOperator for the bronze job."""
    emr = settings.emr
    if not emr.enabled:
        raise EmrConfigError(f"emr.enabled is false in the {settings.env!r} environment")
    return {
        "application_id": emr.application_id,
        "execution_role_arn": emr.execution_role_arn,
        "name": f"{settings.spark.app_name}-{settings.env}",
        "job_driver": {
            "sparkSubmit": {
                "entryPoint": _uri(emr.code_uri, BRONZE_JOB.name),
                "entryPointArguments": [
                    "--env",
                    settings.env,
                    "--conf-dir",
                    CONF_ALIAS,
                    "--trigger",
                    trigger,
                ],
                "sparkSubmitParameters": spark_submit_parameters(settings),
            }
        },
        "configuration_overrides": {
            "monitoringConfiguration": {
                "s3MonitoringConfiguration": {"logUri": _uri(emr.logs_uri, settings.env)}
            }
        },
        "aws_conn_id": emr.aws_conn_id,
    }
