"""The spark-submit line for a job: master, memory, jars and conf, all from the settings."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lakehouse.lake.object_store import is_s3, spark_s3a_conf
from lakehouse.settings import PROJECT_ROOT, Settings, is_local_master
from lakehouse.streaming.class_archive import sharing_option

BRONZE_JOB = PROJECT_ROOT / "jobs" / "bronze_ingest.py"
SPARK_LOG_CONFIG = PROJECT_ROOT / "conf" / "spark-log4j2.properties"

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


class SparkSubmitError(Exception):
    """The job cannot be submitted as configured; the message says what to do."""


def spark_jars(settings: Settings) -> list[Path]:
    """The connector jars (Kafka source, Delta, S3A) set-up resolved for spark-submit."""
    jars_dir = settings.path(settings.spark.jars_dir)
    jars = sorted(jars_dir.glob("*.jar"))
    if not jars:
        raise SparkSubmitError(
            f"no jars in {jars_dir}: run `scripts/setup.sh` (or `make setup`) to resolve them"
        )
    return jars


def jar_options(master: str, jars: list[Path]) -> tuple[str, dict[str, str]]:
    """How spark-submit gets the connector jars: the --jars value and any conf.

    A cluster's executors fetch --jars from the driver. A local master's executors live in
    the driver's JVM, yet with --jars Spark still copies every jar through its file server
    into a scratch folder on each start (the AWS SDK bundle is 612 MB: seconds of every
    job's start-up, and a copy under /tmp a killed job leaves behind), so there the jars go
    on the driver's class path instead.
    """
    if is_local_master(master):
        return "", {"spark.driver.extraClassPath": os.pathsep.join(str(jar) for jar in jars)}
    return ",".join(str(jar) for jar in jars), {}


def spark_environment(settings: Settings, python: Path | None = None) -> dict[str, str]:
    """Environment for spark-submit: Spark from the pyspark package, workers on this Python.

    With `python` (another environment's interpreter, as Airflow uses), Spark's launcher finds
    that environment's pyspark itself from PYSPARK_DRIVER_PYTHON.
    """
    interpreter = str(python or sys.executable)
    environment = {"PYSPARK_PYTHON": interpreter, "PYSPARK_DRIVER_PYTHON": interpreter}
    if python is None:
        # Imported here: DAG files build commands at parse time and must not load pyspark.
        import pyspark  # noqa: PLC0415

        environment["SPARK_HOME"] = str(Path(pyspark.__file__).parent)
    if is_local_master(settings.spark.master):
        # Local runs bind to loopback, not to whatever interface the hostname resolves to.
        environment["SPARK_LOCAL_IP"] = "127.0.0.1"
    return environment


def storage_conf(settings: Settings) -> dict[str, str]:
    """S3A properties when the lake or its checkpoints are on S3; nothing for a local lake."""
    locations = (settings.lake_root, settings.location(settings.lake.checkpoint_root))
    return spark_s3a_conf(settings.s3) if any(is_s3(place) for place in locations) else {}


@dataclass(frozen=True)
class SparkSubmit:
    """One spark-submit run as its parts: `argv()` is the command line, and Airflow's
    SparkSubmitOperator takes the same parts as keyword arguments."""

    spark_binary: str
    master: str
    name: str
    driver_memory: str
    # Comma-separated, for a cluster; empty for a local master (see jar_options).
    jars: str
    conf: dict[str, str]
    application: str
    application_args: list[str]

    def argv(self) -> list[str]:
        """The full spark-submit argument list."""
        command = [self.spark_binary, "--master", self.master, "--name", self.name]
        command += ["--driver-memory", self.driver_memory]
        command += ["--jars", self.jars] if self.jars else []
        for key, value in self.conf.items():
            command += ["--conf", f"{key}={value}"]
        return [*command, self.application, *self.application_args]


def driver_java_options(settings: Settings) -> str:
    """The driver JVM's options: the log configuration, the class archive (local masters with
    one) and the configured `spark.driver_java_options`, in that order."""
    return " ".join(
        filter(
            None,
            [
                f"-Dlog4j2.configurationFile=file:{SPARK_LOG_CONFIG}",
                sharing_option(settings),
                settings.spark.driver_java_options,
            ],
        )
    )


def spark_submit(
    settings: Settings,
    job: Path = BRONZE_JOB,
    job_args: list[str] | None = None,
    python: Path | None = None,
) -> SparkSubmit:
    """The spark-submit run of `job` from the settings; spark-submit of `python`'s environment."""
    spark = settings.spark
    jars, jar_conf = jar_options(spark.master, spark_jars(settings))
    return SparkSubmit(
        spark_binary=str(Path(python or sys.executable).parent / "spark-submit"),
        master=spark.master,
        name=spark.app_name,
        driver_memory=spark.driver_memory,
        jars=jars,
        conf={
            **jar_conf,
            **DELTA_CONF,
            "spark.sql.shuffle.partitions": str(spark.shuffle_partitions),
            "spark.driver.extraJavaOptions": driver_java_options(settings),
            **storage_conf(settings),
            **spark.conf,
        },
        application=str(job),
        application_args=["--env", settings.env, *(job_args or [])],
    )


def spark_submit_command(
    settings: Settings,
    job: Path = BRONZE_JOB,
    job_args: list[str] | None = None,
    python: Path | None = None,
) -> list[str]:
    """The full spark-submit argument list for `job`; spark-submit of `python`'s environment."""
    return spark_submit(settings, job, job_args, python).argv()


def printable(command: list[str]) -> str:
    """The command as a readable shell line: one option per line, jars as a glob."""
    lines = [shlex.quote(command[0])]
    arguments = iter(command[1:])
    for argument in arguments:
        if argument.startswith("--") and argument != "--env":
            value = next(arguments)
            key, _, jars = value.rpartition("=")
            if jars.count(".jar") > 1:
                separator = os.pathsep if key else ","
                folder = Path(jars.split(separator)[0]).parent
                prefix = f"{key}=" if key else ""
                quoted = f'"{prefix}$(ls {folder}/*.jar | paste -sd{separator} -)"'
            else:
                quoted = shlex.quote(value)
            lines.append(f"{argument} {quoted}")
        else:
            lines.append(" ".join(shlex.quote(part) for part in [argument, *arguments]))
    return " \\\n  ".join(lines)


def run_logged(settings: Settings, command: list[str], log_path: Path) -> int:
    """Run a spark-submit `command` with its output appended to `log_path`; its exit code."""
    with log_path.open("a", encoding="utf-8") as log:
        return subprocess.run(
            command,
            env={**os.environ, **spark_environment(settings)},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode


def run_job_logged(settings: Settings, job: Path, job_args: list[str], log_path: Path) -> None:
    """spark-submit `job` with its output appended to `log_path`; raise if it fails."""
    code = run_logged(settings, spark_submit_command(settings, job, job_args=job_args), log_path)
    if code != 0:
        raise SparkSubmitError(f"{job.name} failed with exit code {code}; see {log_path}")
