"""The bronze job's levers that only a whole drain of the same topics can measure.

A driver JVM's heap, garbage collector and JIT options are fixed when it starts, the
micro-batch size shows only over a drain of several batches, and how a batch is cut into
tasks shows in the whole batch's schedule (the last long task running alone), so none of
them can be switched inside one session the way bench/ingest_profile.py switches Spark
properties: each setting is a drain of its own by spark-submit, into a fresh lake and
checkpoint. The configured job drains before and after each other setting (the drain
section's own run is the first), and its seconds are the mean of the two runs around the
other setting, as ingest_profile.bracketed does: later runs of a session tend to be faster.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.batch_cost import drain_in_own_lake
from bench.drain import DrainResult
from lakehouse.settings import Settings

PARALLEL_GC = "-XX:+UseParallelGC"
# C2 inlines smaller callees and fewer levels deep than HotSpot's defaults (2500 bytes of
# compiled code, 15 levels): less compile work in a short-lived driver (conf/base.yaml).
INLINING_BOUNDS = ("-XX:InlineSmallCode=1000", "-XX:MaxInlineLevel=9")
# The other micro-batch bound when the configured one is null (no bound).
QUARTER_BOUND = 500_000
# The other records-per-task bound when the configured one is null (one task per partition).
TASK_RECORDS = 100_000
STAGE = "the bronze job's drain of every event, spark-submit, start-up excluded"


@dataclass(frozen=True)
class DrainLever:
    """One setting of the job: the override that turns it the other way, and both labels."""

    name: str
    variable: str
    other_value: str
    job_setting: str
    other_setting: str


def drain_levers(settings: Settings) -> list[DrainLever]:
    """Driver memory (the configured size against twice it), the garbage collector (the
    parallel collector against G1, the JDK's default), the JIT compiler's inlining (the
    configured bounds against HotSpot's defaults), the micro-batch size (the configured bound
    against a quarter of it, or against QUARTER_BOUND without one) and the Kafka records per
    task (the configured bound against one task per Kafka partition, or against TASK_RECORDS
    without one), from the configured settings."""
    memory = settings.spark.driver_memory
    size, unit = memory[:-1], memory[-1]
    doubled = f"{int(size) * 2}{unit}" if size.isdigit() else "4g"
    options = settings.spark.driver_java_options.split()
    return [
        DrainLever("driver memory", "LAKEHOUSE__SPARK__DRIVER_MEMORY", doubled, memory, doubled),
        _java_options_lever(
            "driver garbage collector",
            options,
            (PARALLEL_GC,),
            f"parallel ({PARALLEL_GC})",
            "G1 (the JDK's default)",
        ),
        _java_options_lever(
            "JIT inlining",
            options,
            INLINING_BOUNDS,
            f"C2 inlines less ({' '.join(INLINING_BOUNDS)})",
            "HotSpot's defaults (InlineSmallCode 2500, MaxInlineLevel 15)",
        ),
        _batch_size_lever(settings.ingest.max_offsets_per_trigger),
        _task_split_lever(settings.ingest.max_records_per_partition),
    ]


def _java_options_lever(
    name: str, options: list[str], flags: tuple[str, ...], with_label: str, without_label: str
) -> DrainLever:
    """The driver's options with `flags` against the same options without them: the
    configured ones are the job's setting, whichever of the two they are."""
    others = [option for option in options if option not in flags]
    configured = all(flag in options for flag in flags)
    return DrainLever(
        name,
        "LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS",
        " ".join(others if configured else [*others, *flags]),
        with_label if configured else without_label,
        without_label if configured else with_label,
    )


def _batch_size_lever(bound: int | None) -> DrainLever:
    other = QUARTER_BOUND if bound is None else max(bound // 4, 1)
    return DrainLever(
        "micro-batch size (ingest.max_offsets_per_trigger)",
        "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER",
        str(other),
        "no bound" if bound is None else f"at most {bound:,} records",
        f"at most {other:,} records",
    )


def _task_split_lever(bound: int | None) -> DrainLever:
    other = TASK_RECORDS if bound is None else None
    return DrainLever(
        "Kafka records per task (ingest.max_records_per_partition)",
        "LAKEHOUSE__INGEST__MAX_RECORDS_PER_PARTITION",
        "null" if other is None else str(other),
        _per_task(bound),
        _per_task(other),
    )


def _per_task(bound: int | None) -> str:
    return "one task per Kafka partition" if bound is None else f"at most {bound:,} records"


def drain_once(folder: Path, overrides: dict[str, str], records: int) -> DrainResult:
    """One drain of every record into a lake of its own under `folder` (start-up excluded);
    the lake is deleted afterwards, the job's log kept."""
    result, batches = drain_in_own_lake(folder, overrides, records)
    drained = sum(batch.records for batch in batches)
    if drained != records:
        raise RuntimeError(
            f"the drain under {overrides} read {drained:,} of {records:,}; see {folder}"
        )
    shutil.rmtree(folder / "lake")
    shutil.rmtree(folder / "checkpoints")
    return result


def measure_drain_levers(
    settings: Settings, records: int, root: Path, configured_seconds: float
) -> list[dict[str, Any]]:
    """Each lever the other way between two configured drains; `configured_seconds` is the
    drain section's own run, the configured drain before the first lever."""
    rows = []
    before = configured_seconds
    for number, lever in enumerate(drain_levers(settings)):
        other = drain_once(
            root / f"{number}-other", {lever.variable: lever.other_value}, records
        ).seconds
        after = drain_once(root / f"{number}-configured", {}, records).seconds
        rows.append(
            {
                "lever": lever.name,
                "job_setting": lever.job_setting,
                "other_setting": lever.other_setting,
                "stage": STAGE,
                "job_seconds": round((before + after) / 2, 2),
                "other_seconds": round(other, 2),
            }
        )
        before = after
    return rows
