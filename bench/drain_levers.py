"""The bronze job's levers that only a whole drain of the same topics can measure.

A driver JVM's heap and garbage collector are fixed when it starts, and the micro-batch size
shows only over a drain of several batches, so none of them can be switched inside one
session the way bench/ingest_profile.py switches Spark properties: each setting is a drain
of its own by spark-submit, into a fresh lake and checkpoint. The
configured job drains before and after each other setting (the drain section's own run is
the first), and its seconds are the mean of the two runs around the other setting, as
ingest_profile.bracketed does: later runs of a session tend to be faster.
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
# The other micro-batch bound when the configured one is null (no bound).
QUARTER_BOUND = 500_000
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
    parallel collector against G1, the JDK's default) and the micro-batch size (the configured
    bound against a quarter of it, or against QUARTER_BOUND without one), from the configured
    settings."""
    memory = settings.spark.driver_memory
    size, unit = memory[:-1], memory[-1]
    doubled = f"{int(size) * 2}{unit}" if size.isdigit() else "4g"
    options = settings.spark.driver_java_options.split()
    parallel = PARALLEL_GC in options
    others = [option for option in options if option != PARALLEL_GC]
    labels = [f"parallel ({PARALLEL_GC})", "G1 (the JDK's default)"]
    job_collector, other_collector = labels if parallel else labels[::-1]
    return [
        DrainLever("driver memory", "LAKEHOUSE__SPARK__DRIVER_MEMORY", doubled, memory, doubled),
        DrainLever(
            "driver garbage collector",
            "LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS",
            " ".join(others if parallel else [*others, PARALLEL_GC]),
            job_collector,
            other_collector,
        ),
        _batch_size_lever(settings.ingest.max_offsets_per_trigger),
    ]


def _batch_size_lever(bound: int | None) -> DrainLever:
    other = QUARTER_BOUND if bound is None else max(bound // 4, 1)
    return DrainLever(
        "micro-batch size (ingest.max_offsets_per_trigger)",
        "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER",
        str(other),
        "no bound" if bound is None else f"at most {bound:,} records",
        f"at most {other:,} records",
    )


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
