"""The levers the benchmark drains with: each the configured setting against one
other, whatever conf/ configures."""

from __future__ import annotations

from bench.drain_levers import PARALLEL_GC, drain_levers
from lakehouse.config import load_settings


def levers_under(**spark: str) -> dict[str, tuple[str, str, str, str]]:
    settings = load_settings("local", environ={})
    settings = settings.model_copy(update={"spark": settings.spark.model_copy(update=spark)})
    return {
        lever.name: (lever.variable, lever.other_value, lever.job_setting, lever.other_setting)
        for lever in drain_levers(settings)
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


def test_the_batch_size_lever_drains_in_batches_a_quarter_of_the_configured_bound() -> None:
    settings = load_settings("local", environ={})
    for bound, other, job_setting, other_setting in [
        (2_000_000, "500000", "at most 2,000,000 records", "at most 500,000 records"),
        (None, "500000", "no bound", "at most 500,000 records"),
        (1_000_001, "250000", "at most 1,000,001 records", "at most 250,000 records"),
    ]:
        ingest = settings.ingest.model_copy(update={"max_offsets_per_trigger": bound})
        levers = {
            lever.name: lever
            for lever in drain_levers(settings.model_copy(update={"ingest": ingest}))
        }
        lever = levers["micro-batch size (ingest.max_offsets_per_trigger)"]
        assert (lever.variable, lever.other_value, lever.job_setting, lever.other_setting) == (
            "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER",
            other,
            job_setting,
            other_setting,
        )
