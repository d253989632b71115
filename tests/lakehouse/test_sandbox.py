"""Sandbox stacks: what test-sized stacks change and what they keep."""

from __future__ import annotations

from pathlib import Path

from lakehouse.config import load_settings
from lakehouse.sandbox import C1_ONLY, sandbox_environment, sandbox_settings
from lakehouse.streaming.spark_submit import spark_submit_command


def test_test_sized_jobs_compile_with_c1_alone_after_the_configured_options(
    tmp_path: Path,
) -> None:
    configured = load_settings(environ={"LAKEHOUSE_ENV": "local"}).spark.driver_java_options
    assert (
        configured == "-XX:+UseParallelGC -XX:InlineSmallCode=1000 -XX:MaxInlineLevel=9"
    )  # conf/base.yaml's

    settings = sandbox_settings(sandbox_environment(tmp_path, 1, 2))
    assert settings.spark.driver_java_options == f"{configured} {C1_ONLY}"
    command = spark_submit_command(settings)
    java_options = next(arg for arg in command if arg.startswith("spark.driver.extraJavaOptions="))
    assert java_options.endswith(f" {configured} {C1_ONLY}")


def test_product_sized_stacks_keep_the_configured_options(tmp_path: Path) -> None:
    environment = sandbox_environment(tmp_path, 1, 2, test_sized=False)
    assert "LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS" not in environment
    assert sandbox_settings(environment).spark.driver_java_options == (
        load_settings(environ={"LAKEHOUSE_ENV": "local"}).spark.driver_java_options
    )
