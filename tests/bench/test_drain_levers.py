"""The levers the benchmark drains with: each the configured setting against one
other, whatever conf/ configures."""

from __future__ import annotations

import pytest

from bench.drain_levers import INLINING_BOUNDS, PARALLEL_GC, drain_levers
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


def test_the_inlining_lever_drops_or_adds_both_bounds_and_keeps_the_collector() -> None:
    bounds = " ".join(INLINING_BOUNDS)
    levers = levers_under(driver_java_options=f"{PARALLEL_GC} {bounds}")
    assert levers["JIT inlining"] == (
        "LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS",
        PARALLEL_GC,
        f"C2 inlines less ({bounds})",
        "HotSpot's defaults (InlineSmallCode 2500, MaxInlineLevel 15)",
    )
    assert levers["driver garbage collector"][1] == bounds
    # One bound alone is not the configured setting: the other drain gets both.
    half = levers_under(driver_java_options=f"{PARALLEL_GC} {INLINING_BOUNDS[0]}")
    assert half["JIT inlining"][1:3] == (
        f"{PARALLEL_GC} {bounds}",
        "HotSpot's defaults (InlineSmallCode 2500, MaxInlineLevel 15)",
    )


def ingest_lever_under(key: str, value: int | None, name: str) -> tuple[str, str, str, str]:
    """The lever `name` when conf/ sets ingest.<key> to `value`."""
    settings = load_settings("local", environ={})
    ingest = settings.ingest.model_copy(update={key: value})
    levers = {
        lever.name: lever for lever in drain_levers(settings.model_copy(update={"ingest": ingest}))
    }
    lever = levers[name]
    return (lever.variable, lever.other_value, lever.job_setting, lever.other_setting)


BATCH_SIZE = "micro-batch size (ingest.max_offsets_per_trigger)"
TASK_SPLIT = "Kafka records per task (ingest.max_records_per_partition)"


@pytest.mark.parametrize(
    ("name", "key", "bound", "expected"),
    [
        # The batch size lever drains in batches a quarter of the configured bound.
        (BATCH_SIZE, "max_offsets_per_trigger", 2_000_000,
         ("500000", "at most 2,000,000 records", "at most 500,000 records")),
        (BATCH_SIZE, "max_offsets_per_trigger", None,
         ("500000", "no bound", "at most 500,000 records")),
        (BATCH_SIZE, "max_offsets_per_trigger", 1_000_001,
         ("250000", "at most 1,000,001 records", "at most 250,000 records")),
        # The task split lever drains with one task per Kafka partition, or with a bound.
        (TASK_SPLIT, "max_records_per_partition", 100_000,
         ("null", "at most 100,000 records", "one task per Kafka partition")),
        (TASK_SPLIT, "max_records_per_partition", None,
         ("100000", "one task per Kafka partition", "at most 100,000 records")),
        (TASK_SPLIT, "max_records_per_partition", 25_000,
         ("null", "at most 25,000 records", "one task per Kafka partition")),
    ],
)  # fmt: skip
def test_an_ingest_lever_drains_with_the_other_bound(
    name: str, key: str, bound: int | None, expected: tuple[str, str, str]
) -> None:
    """(the other drain's value, the job's setting, the other setting)"""
    assert ingest_lever_under(key, bound, name) == (f"LAKEHOUSE__INGEST__{key.upper()}", *expected)


def test_null_from_the_environment_turns_the_task_split_off() -> None:
    settings = load_settings(
        "local", environ={"LAKEHOUSE__INGEST__MAX_RECORDS_PER_PARTITION": "null"}
    )
    assert settings.ingest.max_records_per_partition is None
