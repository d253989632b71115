"""The Spark driver's class archive: when jobs get it, when set-up trains it again, and that
the archive set-up trained fits the JVM spark-submit starts here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lakehouse.config import load_settings
from lakehouse.settings import Settings
from lakehouse.streaming.class_archive import (
    archive_file,
    archive_key,
    is_current,
    key_file,
    sharing_option,
)
from lakehouse.streaming.spark_submit import (
    SPARK_LOG_CONFIG,
    jar_options,
    spark_environment,
    spark_jars,
    spark_submit_command,
)


def settings_with(archive: Path | None, master: str = "local[*]") -> Settings:
    environ = {"LAKEHOUSE__SPARK__MASTER": master}
    environ["LAKEHOUSE__SPARK__CLASS_ARCHIVE"] = str(archive) if archive else "null"
    return load_settings("local", environ=environ)


def test_a_local_job_maps_the_archive_when_it_exists(tmp_path: Path) -> None:
    archive = tmp_path / "spark-driver.jsa"
    assert sharing_option(settings_with(archive)) is None
    archive.write_bytes(b"archive")
    assert sharing_option(settings_with(archive)) == f"-XX:SharedArchiveFile={archive}"
    settings = settings_with(archive)
    options = command_value(spark_submit_command(settings))
    # The log configuration, the archive, then spark.driver_java_options (conf/base.yaml's
    # collector and inlining bounds), each once.
    assert options.split() == [
        f"-Dlog4j2.configurationFile=file:{SPARK_LOG_CONFIG}",
        f"-XX:SharedArchiveFile={archive}",
        "-XX:+UseParallelGC",
        "-XX:InlineSmallCode=1000",
        "-XX:MaxInlineLevel=9",
    ]


def command_value(command: list[str]) -> str:
    """The value of the --conf spark.driver.extraJavaOptions entry."""
    prefix = "spark.driver.extraJavaOptions="
    return next(part.removeprefix(prefix) for part in command if part.startswith(prefix))


@pytest.mark.parametrize("master", ["yarn", "spark://host:7077"])
def test_a_cluster_job_does_not(tmp_path: Path, master: str) -> None:
    archive = tmp_path / "spark-driver.jsa"
    archive.write_bytes(b"archive")
    assert sharing_option(settings_with(archive, master)) is None
    assert "SharedArchiveFile" not in command_value(
        spark_submit_command(settings_with(archive, master))
    )


def test_null_turns_it_off() -> None:
    settings = settings_with(None)
    assert archive_file(settings) is None
    assert sharing_option(settings) is None


def test_the_key_follows_the_jars(tmp_path: Path) -> None:
    jars = [tmp_path / "a.jar", tmp_path / "b.jar"]
    for jar in jars:
        jar.write_bytes(b"classes")
    key = archive_key(jars)
    assert archive_key(jars) == key
    jars[1].write_bytes(b"other classes")
    assert archive_key(jars) != key
    key = archive_key(jars)
    os.utime(jars[0], ns=(0, 0))  # resolved again: same bytes, another time
    assert archive_key(jars) != key
    assert archive_key(jars[:1]) not in (key, archive_key(jars))


def test_an_archive_is_current_only_for_the_key_it_was_trained_for(tmp_path: Path) -> None:
    archive = tmp_path / "spark-driver.jsa"
    assert not is_current(archive, "k1")
    archive.write_bytes(b"archive")
    assert not is_current(archive, "k1")  # no key: a training that did not finish
    key_file(archive).write_text("k1\n")
    assert is_current(archive, "k1")
    assert not is_current(archive, "k2")


@pytest.mark.integration
def test_setup_trained_an_archive_the_spark_submit_jvm_maps() -> None:
    settings = load_settings("local", environ={})
    archive = archive_file(settings)
    assert archive is not None
    assert is_current(archive, archive_key(spark_jars(settings))), "run scripts/setup.sh"
    # -Xshare:on makes a JVM that cannot map the archive (another class path, another JDK)
    # fail to start instead of running without it.
    _, jar_conf = jar_options(settings.spark.master, spark_jars(settings))
    command = [spark_submit_command(settings)[0], "--master", settings.spark.master]
    for key, value in {
        **jar_conf,
        "spark.driver.extraJavaOptions": f"-Xshare:on {sharing_option(settings)}",
    }.items():
        command += ["--conf", f"{key}={value}"]
    completed = subprocess.run(
        [*command, "--version"],
        env={**os.environ, **spark_environment(settings)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
