"""One benchmark run on the local stack: every measurement, in order, with its baselines."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.batch_cost import auto_compaction_overrides, batches_in_log, measure_batch_cost
from bench.dbt_cost import measure_dbt_cost
from bench.drain import (
    DrainResult,
    alternately,
    bronze_job,
    ingest_profile,
    kafka_ceiling,
    python_baseline,
    read_job_files,
    with_driver_java_option,
)
from bench.drain_levers import drain_once, measure_drain_levers
from bench.freshness import WINDOW_SECONDS, measure_freshness, windows_text
from bench.scales import FreshnessAlternative, Scale
from bench.small_files import measure_small_files
from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.kafka.watermarks import count_messages
from lakehouse.monitoring.reconcile import ledger
from lakehouse.sandbox import C1_ONLY, sandbox_environment, sandbox_stack, use_environment
from lakehouse.settings import AUTO_COMPACT_SETTING, Settings


def machine() -> dict[str, Any]:
    """Cores, memory and versions, so a reader can tell which machine a run is from."""
    memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_bytes / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def product_sizing() -> dict[str, Any]:
    """The Spark and simulator sizes every section runs with: conf/base.yaml's, not the
    tests' smaller ones (lakehouse/sandbox.py, TEST_SIZING)."""
    settings = load_settings()
    return {
        "spark_master": settings.spark.master,
        "driver_memory": settings.spark.driver_memory,
        "shuffle_partitions": settings.spark.shuffle_partitions,
        "users": settings.simulator.users,
        "artists": settings.simulator.artists,
        "tracks": settings.simulator.tracks,
    }


SECTIONS = ("drain", "freshness", "dbt")


def around_the_drain(scale: Scale, settings: Settings) -> Settings:
    """The settings of the jobs around the bronze drain: with C1 alone where the scale says
    (Scale.quick_jvm), else unchanged."""
    return with_driver_java_option(settings, C1_ONLY) if scale.quick_jvm else settings


def run_benchmarks(
    scale: Scale,
    workdir: Path,
    seed: int,
    console: Console,
    sections: tuple[str, ...] = SECTIONS,
) -> dict[str, Any]:
    """Run the measurements (every section unless told) at `scale` under `workdir`; the
    results as one JSON document."""
    started = time.monotonic()
    start_load = round(os.getloadavg()[0], 2)
    results: dict[str, Any] = {
        "scale": asdict(scale),
        "machine": machine(),
        "sizing": product_sizing(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
    }
    if "drain" in sections:
        results["drain"] = _drain(scale, workdir / "drain", seed, console)
    if "freshness" in sections:
        results["freshness"], results["small_files"], results["freshness_alternatives"] = (
            _freshness(scale, workdir / "freshness", seed, console)
        )
        if scale.profile_levers:
            results["batch_cost"] = _batch_cost(workdir / "batch-cost", seed, console)
    if "dbt" in sections:
        results["dbt"] = _dbt(scale, workdir / "dbt", console)
    results["seconds"] = round(time.monotonic() - started, 1)
    # What else ran: 1-minute load averages above the core count mean the run shared the CPU.
    results["load_average"] = {"start": start_load, "end": round(os.getloadavg()[0], 2)}
    return results


def _drain(scale: Scale, root: Path, seed: int, console: Console) -> dict[str, Any]:
    console.rule(f"drain: {scale.drain_events:,} pre-produced events")
    with sandbox_stack(root, test_sized=False) as (settings, _):
        report = pipeline.produce(
            settings, events=scale.drain_events, rate=None, seed=seed, end=datetime.now(UTC)
        )
        produced = count_messages(settings.kafka_bootstrap, settings.kafka.topics.values())
        console.print(f"produced {produced:,} events at {report.events_per_second:,.0f}/s")
        console.print("Kafka ConsumerPerformance ...")
        measures = [kafka_ceiling(settings, produced)]

        def python_run(round_number: int) -> DrainResult:
            console.print(f"Python consumer -> Parquet (round {round_number}) ...")
            return python_baseline(settings, produced, root / f"python-parquet-{round_number}")

        def bronze_run(round_number: int) -> DrainResult:
            warm = read_job_files(settings)
            console.print(
                f"bronze job, available-now (round {round_number}; its jars read into the page "
                f"cache first, {warm:.1f}s) ..."
            )
            if round_number == 1:  # into the stack's lake, which the ledger checks below
                return bronze_job(settings, produced, root / "bronze-job.log")
            return drain_once(root / f"bronze-round-{round_number}", {}, produced)

        measures += alternately([python_run, bronze_run], scale.drain_rounds)
        batches = batches_in_log((root / "bronze-job.log").read_text(errors="replace"))
        counts = ledger(settings)
        for measure in measures:
            console.print(f"  {measure.name}: {measure.events_per_second:,.0f} events/s")
        console.print("bronze job stage by stage (batch read of the same topics) ...")
        profile = ingest_profile(
            around_the_drain(scale, settings), root, levers=scale.profile_levers
        )
        if scale.profile_levers:
            console.print("bronze job's drain levers (a drain each, alternately) ...")
            # The configured drain just before the first lever: the bronze job's last run.
            last_run = measures[-1].runs[-1] if measures[-1].runs else measures[-1].seconds
            profile["levers"] += measure_drain_levers(
                settings, produced, root / "drain-levers", last_run
            )
        stages = {k: v for k, v in profile.items() if isinstance(v, float)}
        console.print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()))
        for row in profile["levers"]:
            console.print(
                f"  {row['lever']}: {row['job_setting']} {row['job_seconds']:.1f}s, "
                f"{row['other_setting']} {row['other_seconds']:.1f}s"
            )
        return {
            "produced": produced,
            "producer_events_per_second": round(report.events_per_second),
            "measures": [
                {**asdict(measure), "events_per_second": round(measure.events_per_second)}
                for measure in measures
            ],
            "profile": profile,
            # The job's own micro-batches: the first pays for the fresh JVM's warm-up.
            "bronze_batches": [asdict(batch) for batch in batches],
            "bronze_rows": counts.bronze,
            "quarantine_rows": counts.quarantine,
            "lost": counts.lost,
            "duplicated": counts.duplicated,
        }


def _freshness(
    scale: Scale, root: Path, seed: int, console: Console
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Freshness under the continuous job at the configured trigger, then the small files it
    left and their cost; then the same traffic under each alternative setting."""
    with sandbox_stack(root / "default", test_sized=False) as (stack_settings, _):
        settings = around_the_drain(scale, stack_settings)
        result = _freshness_at(scale, settings, seed, root / "default", console)
        console.rule("small files: the day the continuous job wrote, before and after OPTIMIZE")
        files = measure_small_files(settings, root / "default" / "maintenance.log")
    console.print(
        f"  {files.streaming_commits} micro-batches added {files.streamed_files} files; "
        f"{files.day}: {files.files_before} files, read {files.read_seconds_before:.3f}s -> "
        f"after OPTIMIZE {files.files_after} files, read {files.read_seconds_after:.3f}s"
    )
    alternatives = []
    for number, other in enumerate(scale.freshness_alternatives):
        folder = root / f"alternative-{number}"
        overrides = alternative_overrides(other, settings.spark.conf)
        with sandbox_stack(folder, overrides, test_sized=False) as (other_stack, _):
            other_settings = around_the_drain(scale, other_stack)
            alternatives.append(_freshness_at(scale, other_settings, seed, folder, console))
    return (
        result,
        {**asdict(files), "files_per_commit": round(files.files_per_commit, 2)},
        alternatives,
    )


def _batch_cost(root: Path, seed: int, console: Console) -> list[dict[str, Any]]:
    console.rule("fixed cost of a micro-batch: small batches, each lever both ways")
    rows = measure_batch_cost(root, seed)
    for row in rows:
        console.print(
            f"  {row.lever} {row.setting}: median {row.median_seconds:.2f}s a batch of "
            f"{row.records_per_batch:,} records over {row.batches} batches"
        )
    return [asdict(row) for row in rows]


def alternative_overrides(
    alternative: FreshnessAlternative, configured_conf: dict[str, str]
) -> dict[str, str]:
    """The environment overrides that run the bronze job with `alternative`'s settings."""
    overrides = {}
    if alternative.trigger_interval is not None:
        overrides["LAKEHOUSE__INGEST__TRIGGER_INTERVAL"] = alternative.trigger_interval
    if alternative.auto_compaction:
        overrides.update(auto_compaction_overrides(configured_conf))
    return overrides


def compaction_text(settings: Settings) -> str:
    """How the bronze job under `settings` compacts its small files."""
    interval = settings.ingest.compaction_interval_seconds
    if interval is not None:
        return f"beside the stream, every {interval:g} s"
    if settings.spark.conf.get(AUTO_COMPACT_SETTING, "false").lower() == "true":
        return "Delta auto compaction, in the commits"
    return "none"


def _freshness_at(
    scale: Scale, settings: Settings, seed: int, root: Path, console: Console
) -> dict[str, Any]:
    interval = settings.ingest.trigger_interval
    console.rule(
        f"freshness: {scale.freshness_rate:,} events/s for {scale.freshness_seconds}s, "
        f"continuous trigger every {interval}"
    )
    result = measure_freshness(
        settings, scale.freshness_rate, scale.freshness_seconds, seed, root / "job.log"
    )
    console.print(
        f"  p50 {result.p50:.2f}s, p95 {result.p95:.2f}s, max {result.maximum:.2f}s "
        f"over {result.events:,} events (sent at {result.achieved_rate:,.0f}/s); p95 of each "
        f"{WINDOW_SECONDS} s sent: {windows_text(result.p95_by_window)}"
    )
    # The micro-batches that carried data, warm-up included: how long and how big they ran.
    batches = batches_in_log((root / "job.log").read_text(errors="replace"))
    return {
        **asdict(result),
        "trigger_interval": interval,
        "compaction": compaction_text(settings),
        "batches": len(batches),
        "median_batch_seconds": statistics.median(b.seconds for b in batches) if batches else 0,
        "median_batch_records": statistics.median(b.records for b in batches) if batches else 0,
    }


def _dbt(scale: Scale, root: Path, console: Console) -> dict[str, Any]:
    console.rule(f"dbt on DuckDB: {scale.dbt_events:,} events, then {scale.dbt_new_share:.0%} more")
    root.mkdir(parents=True, exist_ok=True)
    # conf/base.yaml's catalogue (5,000 users, 20,000 tracks), as the drain section. Before
    # track_recommendations bounded each listener's tracks (var
    # recommendation_tracks_per_listener) its full build at this size over 10,000,000
    # events ran 305 s and filled the disk with DuckDB's spill, so the section used the
    # tests' catalogue (300 users, 600 tracks) until then.
    with use_environment(sandbox_environment(root, test_sized=False)):
        settings = around_the_drain(scale, load_settings())
        result = measure_dbt_cost(
            settings,
            scale.dbt_events,
            scale.dbt_new_share,
            root,
            levers=scale.profile_levers,
            history_days=scale.dbt_history_days,
        )
    console.print(
        f"  full {result.full.seconds:.1f}s, incremental {result.incremental.seconds:.1f}s "
        f"({result.incremental_share:.0%}); silver {result.silver_rows:,} rows"
    )
    return {**asdict(result), "incremental_share": round(result.incremental_share, 4)}
