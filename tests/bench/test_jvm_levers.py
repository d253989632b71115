"""The driver JVM levers the benchmark drains with: each the configured setting against one
other, whatever conf/ configures."""

from __future__ import annotations

from bench.jvm_levers import PARALLEL_GC, jvm_levers
from lakehouse.config import load_settings


def levers_under(**spark: str) -> dict[str, tuple[str, str, str, str]]:
    settings = load_settings("local", environ={})
    settings = settings.model_copy(update={"spark": settings.spark.model_copy(update=spark)})
    return {
        lever.name: (lever.variable, lever.other_value, lever.job_setting, lever.other_setting)
        for lever in jvm_levers(settings)
    }


def test_driver_memory_is_measured_against_twice_the_configured_size() -> None:
    assert levers_under(driver_memory="2g")["driver memory"] == (
        "LAKEHOUSE__SPARK__DRIVER_MEMORY",
        "4g",
        "2g",
        "4g",
    )
    assert levers_under(driver_memory="1536m")["driver memory"][1] == "3072m"


def test_the_collector_lever_turns_the_parallel_collector_off_or_on_and_keeps_other_options() -> (
    None
):
    on = levers_under(driver_java_options=f"-Xss4m {PARALLEL_GC}")["driver garbage collector"]
    assert on == (
        "LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS",
        "-Xss4m",
        f"parallel ({PARALLEL_GC})",
        "G1 (the JDK's default)",
    )
    off = levers_under(driver_java_options="-Xss4m")["driver garbage collector"]
    assert off[1:] == (
        f"-Xss4m {PARALLEL_GC}",
        "G1 (the JDK's default)",
        f"parallel ({PARALLEL_GC})",
    )
