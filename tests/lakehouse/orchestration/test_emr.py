"""EMR Serverless: the request names exactly the artifacts `package-emr` builds."""

from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from lakehouse.config import load_settings
from lakehouse.orchestration.emr import EMR_JARS, S3A_JAR_PREFIXES, job_request
from lakehouse.orchestration.emr_package import (
    EmrPackageError,
    build_emr_package,
    emr_jar_files,
    sha256,
)
from tests.conftest import EMR_BUILD_PYTHON, SPARK_JARS_DIR

CODE = "s3://example-lakehouse-prod/code"
JARS = "s3://example-lakehouse-prod/jars"


def options(parameters: str) -> list[tuple[str, str]]:
    """sparkSubmitParameters as (option, value) pairs."""
    words = parameters.split(" ")
    return list(zip(words[::2], words[1::2], strict=True))


def test_emr_jars_are_the_resolved_jars_without_s3a() -> None:
    resolved = sorted(jar.name for jar in SPARK_JARS_DIR.glob("*.jar"))
    s3a = [name for name in resolved if name.startswith(S3A_JAR_PREFIXES)]

    assert s3a == ["bundle-2.29.52.jar", "hadoop-aws-3.4.2.jar"]
    assert sorted(EMR_JARS) == [name for name in resolved if name not in s3a]


def test_request_names_the_packaged_artifacts() -> None:
    submit = job_request(load_settings("prod", environ={}))["job_driver"]["sparkSubmit"]
    pairs = options(submit["sparkSubmitParameters"])
    single = {option: value for option, value in pairs if option != "--conf"}
    conf = dict(value.split("=", 1) for option, value in pairs if option == "--conf")

    assert submit["entryPoint"] == f"{CODE}/bronze_ingest.py"
    assert submit["entryPointArguments"] == [
        "--env", "prod", "--conf-dir", "conf", "--trigger", "available-now",
    ]  # fmt: skip
    assert single == {
        "--archives": f"{CODE}/lakehouse_environment.tar.gz#environment,"
        f"{CODE}/lakehouse_conf.tar.gz#conf",
        "--jars": ",".join(f"{JARS}/{name}" for name in EMR_JARS),
        "--py-files": f"{CODE}/lakehouse_job.zip",
    }
    assert not any(name.startswith(S3A_JAR_PREFIXES) for name in EMR_JARS)
    assert conf["spark.emr-serverless.driverEnv.PYSPARK_PYTHON"] == "./environment/bin/python"
    assert conf["spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON"] == (
        "./environment/bin/python"
    )
    assert conf["spark.executorEnv.PYSPARK_PYTHON"] == "./environment/bin/python"
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"] == (
        "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    )
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"
    assert conf["spark.sql.shuffle.partitions"] == "64"


@pytest.mark.parametrize("jars_dir", ["empty", "missing"])
def test_request_does_not_depend_on_the_local_jar_folder(tmp_path: Path, jars_dir: str) -> None:
    (tmp_path / "empty").mkdir()
    elsewhere = {"LAKEHOUSE__SPARK__JARS_DIR": str(tmp_path / jars_dir)}

    assert job_request(load_settings("prod", environ=elsewhere)) == job_request(
        load_settings("prod", environ={})
    )


def test_package_refuses_jars_that_differ_from_the_request(tmp_path: Path) -> None:
    for name in (*EMR_JARS[1:], "hadoop-aws-3.4.2.jar", "guava-33.0.jar"):
        (tmp_path / name).write_bytes(b"")
    settings = load_settings("prod", environ={"LAKEHOUSE__SPARK__JARS_DIR": str(tmp_path)})

    with pytest.raises(EmrPackageError) as refused:
        emr_jar_files(settings)
    assert f"missing: ['{EMR_JARS[0]}'], not listed: ['guava-33.0.jar']" in str(refused.value)


def test_package_refuses_an_interpreter_that_is_not_there(tmp_path: Path) -> None:
    python = str(tmp_path / "python3.11")
    settings = load_settings("prod", environ={"LAKEHOUSE__EMR__PYTHON": python})

    with pytest.raises(EmrPackageError, match=f"emr.python is {python}, which does not exist"):
        build_emr_package(settings, tmp_path / "dist")


def test_package_holds_what_the_request_names_with_checksums(tmp_path: Path) -> None:
    settings = load_settings("prod", environ={"LAKEHOUSE__EMR__PYTHON": EMR_BUILD_PYTHON})
    package = build_emr_package(settings, tmp_path / "dist")
    manifest = json.loads(package.manifest.read_text())

    assert sorted(path.name for path in package.code.iterdir()) == [
        "bronze_ingest.py",
        "lakehouse_conf.tar.gz",
        "lakehouse_environment.tar.gz",
        "lakehouse_job.zip",
        "manifest.json",
    ]
    assert sorted(path.name for path in package.jars.iterdir()) == sorted(EMR_JARS)
    for folder, section in ((package.code, "code"), (package.jars, "jars")):
        assert set(manifest[section]) == {p.name for p in folder.iterdir()} - {"manifest.json"}
        for name, described in manifest[section].items():
            assert described["sha256"] == sha256(folder / name), name
    assert manifest["code"]["lakehouse_job.zip"]["uri"] == f"{CODE}/lakehouse_job.zip"
    assert manifest["jars"][EMR_JARS[0]]["uri"] == f"{JARS}/{EMR_JARS[0]}"
    assert package.upload_commands(settings) == [
        f"aws s3 sync {package.code} {CODE}",
        f"aws s3 sync {package.jars} {JARS}",
    ]

    with zipfile.ZipFile(package.code / "lakehouse_job.zip") as bundle:
        code = set(bundle.namelist())
    assert {"lakehouse/config.py", "jobs/bronze_ingest.py", "transformations/bronze.py"} <= code
    with tarfile.open(package.code / "lakehouse_conf.tar.gz") as archive:
        assert archive.getnames() == ["base.yaml", "prod.yaml"]
    with tarfile.open(package.code / "lakehouse_environment.tar.gz") as archive:
        links = {m.name: m.linkname for m in archive.getmembers() if m.issym()}
        packages = {
            name.split("/")[3]
            for name in archive.getnames()
            if name.startswith("lib/python3.11/site-packages/") and name.count("/") > 3
        }
    assert links["bin/python"] == EMR_BUILD_PYTHON
    assert manifest["python"]["interpreter"] == EMR_BUILD_PYTHON
    assert {"confluent_kafka", "delta", "pydantic", "yaml", "duckdb", "rich"} <= packages
    assert not packages & {"pyspark", "py4j", "dbt", "streamlit", "pytest", "venv_pack"}
    pins = manifest["python"]["packages"]
    assert {"delta-spark==4.4.0", "confluent-kafka==2.16.1", "pydantic==2.14.3"} <= set(pins)
    assert not [pin for pin in pins if pin.split("==")[0] in {"pyspark", "py4j", "dbt-core"}]
    assert manifest["python"]["wheel_platform"] == "x86_64-manylinux_2_28"
