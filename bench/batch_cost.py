"""The fixed cost of a micro-batch, and the bronze job's batches one by one.

Freshness is bounded by what a micro-batch costs when it carries almost nothing: an event
waits for the batch in flight, then for its own. To measure that cost the bronze job drains a
few tens of thousands of events in micro-batches of BATCH_RECORDS
(ingest.max_offsets_per_trigger), so each batch's seconds are nearly all fixed work:
planning, the Spark jobs' tasks, the Delta commit and its post-commit hooks. The job runs
with the configured settings and with each lever the other way, alternately, in the same
session.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.drain import DrainResult, bronze_job
from bench.freshness import percentile
from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.kafka.watermarks import count_messages
from lakehouse.sandbox import sandbox_stack, use_environment
from lakehouse.settings import AUTO_COMPACT_SETTING

BATCH_RECORDS = 2_000
BATCHES = 20
# The first batches of a fresh JVM pay for class loading, code generation and JIT
# compilation; the fixed cost is read from the batches after them.
WARM_UP_BATCHES = 3
ROUNDS = 2
# A batch of at least this share of the batch size counts as full (the last batch of a drain
# carries what is left over).
FULL_BATCH_SHARE = 0.9

# The lever: Delta's auto compaction inside the commit of the batch that brings a partition to
# 50 small files, in place of the job's compaction beside the stream (the configuration
# refuses both at once).
AUTO_COMPACTION_LEVER = "Delta auto compaction instead of the job's beside the stream"


def auto_compaction_overrides(configured_conf: dict[str, str]) -> dict[str, str]:
    """The environment overrides that run the bronze job with Delta's auto compaction in the
    commits instead of its compaction beside the stream, every other setting as configured."""
    return {
        "LAKEHOUSE__INGEST__COMPACTION_INTERVAL_SECONDS": "null",
        # The whole dictionary: an override replaces conf/base.yaml's.
        "LAKEHOUSE__SPARK__CONF": json.dumps({**configured_conf, AUTO_COMPACT_SETTING: "true"}),
    }


# jobs/bronze_ingest.py's ProgressPrinter line.
PROGRESS_LINE = re.compile(
    r"^\[ingest\] \S+: batch (?P<batch>\d+): (?P<records>[\d,]+) records in "
    r"(?P<seconds>[\d.]+) s .*\(addBatch (?P<add_batch>\d+) ms"
)


@dataclass(frozen=True)
class Batch:
    """One micro-batch from the job's progress lines."""

    batch_id: int
    records: int
    seconds: float
    add_batch_ms: int


def batches_in_log(text: str) -> list[Batch]:
    """The micro-batches the bronze job reported, in order (batches without records, which a
    continuous query may run, are left out)."""
    found = []
    for line in text.splitlines():
        match = PROGRESS_LINE.match(line)
        records = int(match["records"].replace(",", "")) if match else 0
        if match and records > 0:
            found.append(
                Batch(
                    int(match["batch"]), records, float(match["seconds"]), int(match["add_batch"])
                )
            )
    return found


def is_full(records: int, batch_size: int) -> bool:
    """Whether a batch of `records` is a full one of `batch_size`."""
    return records >= FULL_BATCH_SHARE * batch_size


@dataclass(frozen=True)
class BatchCost:
    """Seconds per full micro-batch after the warm-up, for one setting over its rounds."""

    lever: str
    setting: str
    configured: bool
    batches: int
    records_per_batch: int
    median_seconds: float
    p90_seconds: float
    median_add_batch_ms: float
    first_batch_seconds: float


def summarize(lever: str, setting: str, configured: bool, runs: list[list[Batch]]) -> BatchCost:
    """The full batches after WARM_UP_BATCHES of each run, pooled over the runs."""
    steady = [
        batch
        for run in runs
        for batch in run[WARM_UP_BATCHES:]
        if is_full(batch.records, BATCH_RECORDS)
    ]
    if not steady:
        raise RuntimeError(f"no full micro-batch after the warm-up for {lever} = {setting}")
    seconds = sorted(batch.seconds for batch in steady)
    return BatchCost(
        lever=lever,
        setting=setting,
        configured=configured,
        batches=len(steady),
        records_per_batch=round(statistics.median(batch.records for batch in steady)),
        median_seconds=statistics.median(seconds),
        p90_seconds=percentile(seconds, 0.9),
        median_add_batch_ms=statistics.median(batch.add_batch_ms for batch in steady),
        first_batch_seconds=statistics.median(run[0].seconds for run in runs if run),
    )


def drain_in_own_lake(
    folder: Path, overrides: dict[str, str], records: int
) -> tuple[DrainResult, list[Batch]]:
    """One drain of every record by the bronze job, with `overrides` on the environment, into
    a lake and checkpoint of its own under `folder`; its result and its micro-batches (the
    job's log is folder/bronze-job.log)."""
    environment = {
        "LAKEHOUSE__LAKE__ROOT": str(folder / "lake"),
        "LAKEHOUSE__LAKE__CHECKPOINT_ROOT": str(folder / "checkpoints"),
        **overrides,
    }
    log = folder / "bronze-job.log"
    folder.mkdir(parents=True, exist_ok=True)
    with use_environment(environment):
        result = bronze_job(load_settings(), records, log)
    return result, batches_in_log(log.read_text(errors="replace"))


def measure_batch_cost(root: Path, seed: int) -> list[BatchCost]:
    """Drain BATCHES x BATCH_RECORDS events with the configured settings and with the lever
    the other way, ROUNDS times each, alternately; the configured row first."""
    events = BATCH_RECORDS * BATCHES
    with sandbox_stack(root, test_sized=False) as (settings, _):
        pipeline.produce(settings, events=events, rate=None, seed=seed, end=datetime.now(UTC))
        produced = count_messages(settings.kafka_bootstrap, settings.kafka.topics.values())
        configured_conf = dict(settings.spark.conf)
        variants = {
            "configured": {},
            AUTO_COMPACT_SETTING: auto_compaction_overrides(configured_conf),
        }
        runs: dict[str, list[list[Batch]]] = {key: [] for key in variants}
        for round_number in range(ROUNDS):
            for key, extra in variants.items():
                overrides = {
                    "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER": str(BATCH_RECORDS),
                    **extra,
                }
                _, batches = drain_in_own_lake(root / f"{key}-{round_number}", overrides, produced)
                runs[key].append(batches)
    configured_setting = configured_conf.get(AUTO_COMPACT_SETTING, "Spark's default")
    return [
        summarize(AUTO_COMPACTION_LEVER, configured_setting, True, runs["configured"]),
        summarize(AUTO_COMPACTION_LEVER, "true", False, runs[AUTO_COMPACT_SETTING]),
    ]
