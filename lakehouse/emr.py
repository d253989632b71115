"""The bronze job on EMR Serverless: the code package and the StartJobRun request.

EMR runs the same entry point (jobs/bronze_ingest.py) with the job code zipped for
--py-files and conf/ shipped with --files, so the job reads its settings as it does locally
(`--conf-dir .`: the driver's working folder, where --files lands).
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.config import PROJECT_ROOT, Settings
from lakehouse.spark_submit import BRONZE_JOB, DELTA_CONF, spark_jars

PACKAGES = ("lakehouse", "jobs", "transformations")
CODE_ARCHIVE = "lakehouse_job.zip"
CONF_FILES = ("base.yaml",)


class EmrConfigError(Exception):
    """EMR is not configured for this environment; the message names the setting."""


@dataclass(frozen=True)
class JobPackage:
    """What `lakehouse package` wrote: upload the folder to emr.code_uri."""

    folder: Path
    entry_point: Path
    archive: Path
    conf_files: list[Path]


def package_job(output: Path, env: str) -> JobPackage:
    """Zip the job's Python packages, and copy the entry point and the env's conf files."""
    output.mkdir(parents=True, exist_ok=True)
    archive = output / CODE_ARCHIVE
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for package in PACKAGES:
            for source in sorted((PROJECT_ROOT / package).rglob("*.py")):
                bundle.write(source, source.relative_to(PROJECT_ROOT).as_posix())
    entry_point = output / BRONZE_JOB.name
    shutil.copyfile(BRONZE_JOB, entry_point)
    conf_files = []
    for name in (*CONF_FILES, f"{env}.yaml"):
        target = output / name
        shutil.copyfile(PROJECT_ROOT / "conf" / name, target)
        conf_files.append(target)
    return JobPackage(output, entry_point, archive, conf_files)


def _uri(base: str | None, name: str) -> str:
    if not base:
        raise EmrConfigError("emr: code_uri, jars_uri and logs_uri must be set")
    return f"{base.rstrip('/')}/{name}"


def spark_submit_parameters(settings: Settings) -> str:
    """--jars, --py-files, --files and --conf of the job, with the code and jars on S3."""
    emr = settings.emr
    jars = ",".join(_uri(emr.jars_uri, jar.name) for jar in spark_jars(settings))
    files = ",".join(_uri(emr.code_uri, name) for name in (*CONF_FILES, f"{settings.env}.yaml"))
    conf = {
        **DELTA_CONF,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.driver.memory": settings.spark.driver_memory,
        **settings.spark.conf,
    }
    parameters = [
        f"--jars {jars}",
        f"--py-files {_uri(emr.code_uri, CODE_ARCHIVE)}",
        f"--files {files}",
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
                    ".",
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
