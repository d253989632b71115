"""A benchmark run as JSON, a markdown page and a PNG chart, with every ratio spelled out."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers or in CI
import matplotlib.pyplot as plt

from bench.batch_cost import ROUNDS, WARM_UP_BATCHES, is_full
from bench.freshness import WINDOW_SECONDS, windows_text
from bench.scales import (
    GOAL_BRONZE_OVER_PYTHON,
    PROFILE_RECORDS,
    TARGET_BRONZE_OVER_PYTHON,
    TARGET_FRESHNESS_P95_SECONDS,
    TARGET_INCREMENTAL_SHARE,
)

CEILING, PYTHON, BRONZE = 0, 1, 2


def ratios(results: dict[str, Any]) -> dict[str, float]:
    """The comparisons the issue asks for, from one run's results."""
    measures = results["drain"]["measures"]
    bronze = measures[BRONZE]["events_per_second"]
    return {
        "bronze_over_python": bronze / max(measures[PYTHON]["events_per_second"], 1),
        "bronze_over_ceiling": bronze / max(measures[CEILING]["events_per_second"], 1),
        "python_over_ceiling": measures[PYTHON]["events_per_second"]
        / max(measures[CEILING]["events_per_second"], 1),
        "incremental_over_full": results["dbt"]["incremental_share"],
    }


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(target, required, measured, met) for each of the issue's targets."""
    found = ratios(results)
    p95 = results["freshness"]["p95"]
    share = results["dbt"]["incremental_share"]
    over_python = found["bronze_over_python"]
    return [
        ("bronze vs Python baseline (floor)", f">= {TARGET_BRONZE_OVER_PYTHON}x",
         f"{over_python:.2f}x", over_python >= TARGET_BRONZE_OVER_PYTHON),
        ("bronze vs Python baseline (goal)", f">= {GOAL_BRONZE_OVER_PYTHON}x",
         f"{over_python:.2f}x", over_python >= GOAL_BRONZE_OVER_PYTHON),
        ("freshness p95", f"<= {TARGET_FRESHNESS_P95_SECONDS:.0f} s", f"{p95:.2f} s",
         p95 <= TARGET_FRESHNESS_P95_SECONDS),
        ("dbt incremental / full", f"<= {TARGET_INCREMENTAL_SHARE:.0%}", f"{share:.1%}",
         share <= TARGET_INCREMENTAL_SHARE),
    ]  # fmt: skip


def reader_runs(runs: list[float] | None) -> str:
    """How a pooled reader's seconds were made (bench.drain.pooled); nothing for one run."""
    if not runs:
        return ""
    each = ", ".join(f"{seconds:.1f}" for seconds in runs)
    return f"; the mean of {len(runs)} runs taking turns with the other reader ({each} s)"


def _sizing_lines(sizing: dict[str, Any] | None) -> list[str]:
    """What the product ran with (a run from before the bench recorded it has none)."""
    if not sizing:
        return []
    return [
        "",
        f"Every section runs with `conf/base.yaml`'s sizes: Spark "
        f"`{sizing['spark_master']}`, driver memory {sizing['driver_memory']}, "
        f"{sizing['shuffle_partitions']} shuffle partitions; the simulator's catalogue of "
        f"{sizing['users']:,} users, {sizing['artists']:,} artists and {sizing['tracks']:,} "
        "tracks (the dbt section too, since track_recommendations bounds each listener's "
        "tracks; before that it used the tests' catalogue of 300 users and 600 tracks).",
    ]


def markdown(results: dict[str, Any], command: str, previous: dict[str, Any] | None = None) -> str:
    """The run as a markdown page (docs/PERFORMANCE.md)."""
    machine = results["machine"]
    drain = results["drain"]
    fresh = results["freshness"]
    alternatives = results.get("freshness_alternatives", [])
    dbt = results["dbt"]
    lines = [
        "# Performance",
        "",
        f"Run `{command}` to measure again (this page, `docs/performance.json` and "
        "`docs/performance.png` are rewritten). Every figure below comes from one run on one "
        "machine; compare the ratios, which are measured side by side in the same run.",
        "",
        f"Run {results['started_at']}, scale `{results['scale']['name']}`, "
        f"{results['seconds']:.0f} s in all. Machine: {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB, {machine['platform']}, Python {machine['python']}. "
        f"Load average (1 min) {results['load_average']['start']} at the start, "
        f"{results['load_average']['end']} at the end: above {machine['cores']} means "
        "something else shared the CPU.",
        *_sizing_lines(results.get("sizing")),
        "",
        "## Targets",
        "",
        "| target | required | measured | met |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {required} | {measured} | {'yes' if met else '**no**'} |"
            for name, required, measured, met in targets(results)
        ),
        "",
        f"## Drain: {drain['produced']:,} events pre-produced to Kafka",
        "",
        f"Produced by the simulator at {drain['producer_events_per_second']:,} events/s. "
        f"Afterwards bronze holds {drain['bronze_rows']:,} rows and quarantine "
        f"{drain['quarantine_rows']:,}; lost {drain['lost']}, duplicated {drain['duplicated']}.",
        "",
        "| reader | events | seconds | events/s | wall seconds | what it does |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {m['name']} | {m['records']:,} | {m['seconds']:.1f} | "
            f"{m['events_per_second']:,} | "
            f"{'' if m['wall_seconds'] is None else format(m['wall_seconds'], '.1f')} | "
            f"{m['note']}{reader_runs(m.get('runs'))} |"
            for m in drain["measures"]
        ),
        "",
        "| ratio | value |",
        "| --- | --- |",
        *(f"| {name.replace('_', ' ')} | {value:.2f} |" for name, value in ratios(results).items()),
        "",
        *_profile_section(drain["profile"]),
        *_before_after_section(results, previous),
        "## Freshness",
        "",
        f"{fresh['rate']:,} events/s for {fresh['seconds']} s (achieved "
        f"{fresh['achieved_rate']:,.0f}/s) under the continuous job at the configured trigger "
        f"(`ingest.trigger_interval`: {fresh['trigger_interval']})"
        + (", then the same traffic under each other setting measured" if alternatives else "")
        + f", each after {fresh['warm_up_events']:,} warm-up events were readable; delay from "
        "the producer's send time (Kafka timestamp) to the Delta commit that makes the row "
        "readable:",
        "",
        "| trigger | compaction | events sent | readable | p50 | p95 | max | "
        f"p95 of each {WINDOW_SECONDS} s sent (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {row['trigger_interval']}{' (default)' if row is fresh else ''} | "
            f"{row['compaction']} | "
            f"{row['sent']:,} | {row['events']:,} | {row['p50']:.2f} s | "
            f"{row['p95']:.2f} s | {row['maximum']:.2f} s | "
            f"{windows_text(row.get('p95_by_window', ())) or 'n/a'} |"
            for row in (fresh, *alternatives)
        ),
        "",
        f"The last column splits the traffic into {WINDOW_SECONDS}-second windows by send "
        "time: the first "
        "windows are the job's first seconds of steady traffic, while its JVM still compiles "
        "the hot code; the later ones the steady state. An event waits for the micro-batch in "
        "flight, then for its own, so while the batches run back to back its delay is about "
        "two batch durations.",
        "",
        *(
            [
                f"At the configured trigger the job ran {fresh['batches']} micro-batches with "
                f"data, warm-up included: {fresh['median_batch_records']:,.0f} records and "
                f"{fresh['median_batch_seconds']:.1f} s each (medians).",
                "",
            ]
            if fresh.get("batches")
            else []
        ),
        "The job kept up with the rate."
        if fresh["caught_up"]
        else f"**The job did not keep up**: {fresh['sent'] - fresh['events']:,} events were "
        f"still unreadable {10 * fresh['seconds']} s after the last send; the percentiles "
        "cover only the readable ones, so the real delays are longer.",
        "",
        *batch_cost_section(results.get("batch_cost")),
        *_small_files_section(results["small_files"], fresh),
        *dbt_section(dbt),
        *limits_section(results),
        "![benchmark chart](performance.png)",
        "",
    ]
    return "\n".join(lines)


PROFILE_STAGES = {
    "read": "read the topics (Kafka source, noop sink)",
    "read_parse": "read + parse and validate (noop sink)",
    "bronze_pass": "the job's pass: read + parse + write the valid events to bronze, "
    "counting the rejected ones",
    "quarantine_pass": "read + parse again + write the rejected records to quarantine "
    "(the job runs it only for a batch with a rejected record)",
}


def _profile_section(profile: dict[str, Any]) -> list[str]:
    records = profile["records"]
    job = profile["job_batch"]
    return [
        f"Where the bronze job's time goes: the first {records:,} records of the same topics "
        f"({profile['rejected']:,} rejected; at most {PROFILE_RECORDS:,}, and no more than the "
        "job's micro-batch, `ingest.max_offsets_per_trigger`), read as one batch, each stage "
        "run to the end on its own (start-up excluded; `bench/ingest_profile.py`). The job's "
        "work on these records is the bronze pass, plus the quarantine pass when a record is "
        f"rejected: {job:.1f} s here.",
        "",
        "| stage | seconds | events/s |",
        "| --- | --- | --- |",
        *(
            f"| {label} | {profile[stage]:.1f} | {records / max(profile[stage], 1e-9):,.0f} |"
            for stage, label in PROFILE_STAGES.items()
        ),
        "",
        *levers_table(profile["levers"]),
    ]


def levers_table(levers: list[dict[str, Any]]) -> list[str]:
    if not levers:
        return ["Levers: not measured at this scale (`make bench` measures them).", ""]
    return [
        "### Levers, each measured both ways in the same session",
        "",
        "The stage a lever acts on runs with the job's setting, with the lever the other way, "
        "then with the job's setting again; the job's seconds are the mean of its two runs "
        "(later runs of a session tend to be faster). The job keeps the setting in the first "
        "column (`conf/base.yaml`, `jobs/bronze_writer.py`).",
        "",
        "| lever | the job's setting | seconds | the other setting | seconds | other / job |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {row['lever']} ({row['stage']}) | {row['job_setting']} | "
            f"{row['job_seconds']:.1f} | {row['other_setting']} | {row['other_seconds']:.1f} | "
            f"{row['other_seconds'] / max(row['job_seconds'], 1e-9):.2f} |"
            for row in levers
        ),
        "",
    ]


def _before_after_section(results: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    """This run against the page's previous run, and the previous release's batch against
    this one's in the same session."""
    profile = results["drain"]["profile"]
    job = profile["job_batch"]
    lines = [
        "## Before and after",
        "",
        "In this session: the previous release's work on the same records (every record "
        "type-checked through variants, each parse step inside a generator, bronze and "
        "quarantine each reading and parsing on their own, statistics and a Parquet "
        "dictionary on every column) "
        f"{profile['previous_release_batch']:.1f} s; this release's batch {job:.1f} s "
        f"({profile['previous_release_batch'] / max(job, 1e-9):.2f}x faster).",
        "",
    ]
    if previous is None:
        return lines
    rows = []
    for name, index in (("bronze job (drain)", BRONZE), ("Python baseline", PYTHON)):
        before = previous["drain"]["measures"][index]
        after = results["drain"]["measures"][index]
        rows.append(
            f"| {name}: events/s | {before['events_per_second']:,} | "
            f"{after['events_per_second']:,} |"
        )
    rows.append(
        f"| bronze over Python | {ratios(previous)['bronze_over_python']:.2f} | "
        f"{ratios(results)['bronze_over_python']:.2f} |"
    )
    for key, label in (("read", "read the topics"), ("read_parse", "read + parse")):
        if key in previous["drain"]["profile"]:
            rows.append(
                f"| {label} (s) | {previous['drain']['profile'][key]:.1f} | {profile[key]:.1f} |"
            )
    rows.append(
        f"| freshness p95 (s) | {previous['freshness']['p95']:.2f} | "
        f"{results['freshness']['p95']:.2f} |"
    )
    return [
        *lines,
        f"Against this page's previous run ({previous['started_at']}, load average "
        f"{previous['load_average']['start']} at its start; a different session, so compare "
        "with care):",
        "",
        "| measure | previous run | this run |",
        "| --- | --- | --- |",
        *rows,
        "",
    ]


def limits_section(results: dict[str, Any]) -> list[str]:
    """What stops each missed target, worked out from this run's own figures."""
    missed = {name for name, _, _, met in targets(results) if not met}
    if not missed:
        return []
    drain = results["drain"]
    profile = drain["profile"]
    records = profile["records"]
    measures = drain["measures"]
    job = measures[BRONZE]
    read_parse = profile["read_parse"]
    parse_only = max(read_parse - profile["read"], 1e-9)
    python = measures[PYTHON]["events_per_second"]
    batch = profile["job_batch"]
    write = max(profile["bronze_pass"] - read_parse, 0.0)
    # The drain's own micro-batches (from its progress lines); outside them, the query's work
    # between batches and the session's stop.
    in_batches = sum(b["seconds"] for b in drain.get("bronze_batches") or [])
    # The batches are the first run's (its log); with several runs, `seconds` is their mean.
    first_run = (job.get("runs") or [job["seconds"]])[0]
    its = "its first run's" if job.get("runs") else "its"
    first = _first_batch(drain)
    lines = ["## What limits the missed targets", ""]
    if missed & {"bronze vs Python baseline (floor)", "bronze vs Python baseline (goal)"}:
        lines += [
            f"- **Bronze ingest.** The job drained {job['records']:,} records in "
            f"{job['seconds']:.1f} s ({job['events_per_second']:,}/s); the Python consumer read "
            f"them at {python:,}/s. The profile's {records:,} records take {batch:.1f} s of "
            f"batch work, {batch * job['records'] / max(records, 1):.1f} s at that rate for the "
            "whole drain: reading "
            f"{profile['read']:.1f} s, parsing {parse_only:.1f} s "
            f"({records / parse_only:,.0f} records/s), the bronze Delta write about "
            f"{write:.1f} s (the bronze pass less read + parse; Parquet with the raw JSON in "
            "`raw_value`, "
            "partitioned by hour, plus the transaction log). "
            f"{_batches_phrase(drain)} took {in_batches:.1f} s of {its} {first_run:.1f} s; "
            "the other "
            f"{max(first_run - in_batches, 0.0):.1f} s is the streaming query's own "
            "work between batches (planning, offsets, the write-ahead and commit logs) and "
            "the session's stop. The Python baseline "
            "validates nothing and keeps no raw value, quarantine or transaction log. Spark "
            f"reads Kafka alone at {records / max(profile['read'], 1e-9):,.0f} records/s; "
            "what stands in the way of 1.0x is the Parquet + Delta write and the JSON parse, "
            "which share the same two cores.",
        ]
        if first is not None:
            first_seconds, later = first
            lines += [
                f"- **The first micro-batch.** It took {first_seconds:.1f} s against "
                f"{later:.1f} s for each later one of the same size: the fresh JVM compiles "
                "(JIT), generates and loads the code of the read, the parse and the Delta "
                f"write on the same two cores, {max(first_seconds - later, 0.0):.1f} s of "
                f"{its} {first_run:.1f} s. A long-running job pays it once; a drain "
                "started by a scheduler pays it every run.",
            ]
        lines += _jit_lines(job, (results.get("machine") or {}).get("cores"))
    if "freshness p95" in missed:
        lines += _freshness_limits(
            results["freshness"], job["events_per_second"], results.get("batch_cost") or []
        )
    if "dbt incremental / full" in missed:
        lines += _dbt_limits(results["dbt"])
    return [*lines, ""]


def _freshness_limits(
    fresh: dict[str, Any], drain_rate: float, batch_cost: list[dict[str, Any]]
) -> list[str]:
    """What keeps the freshness p95 above its target: the drain rate, the JVM's warm-up (the
    p95 of each window of sending) and the fixed cost of a micro-batch."""
    load = fresh["rate"] / max(drain_rate, 1)
    lines = [
        f"- **Freshness.** The job drains {drain_rate:,} events/s; at "
        f"{fresh['rate']:,}/s it runs at {load:.0%} of that, so each micro-batch carries "
        "what arrived during the previous one and a batch lasts about its fixed cost "
        f"divided by {1 - min(load, 0.99):.2f}. An event waits for the batch in flight, "
        "then for its own: the delay is about two batch durations. The levers are the "
        "ingest throughput above and the fixed cost of a micro-batch.",
    ]
    windows = fresh.get("p95_by_window") or []
    if len(windows) > 2:
        lines += [
            f"- **The JVM's warm-up.** By {WINDOW_SECONDS} s of sending, the p95 was "
            f"{windows_text(windows)} s. The first windows are the "
            "job's first seconds of steady traffic, while its JVM still compiles the hot "
            f"code; from the third window on the p95 stayed within {min(windows[2:]):.1f}-"
            f"{max(windows[2:]):.1f} s. Over the whole run the p95 counts the warm-up: a job "
            "that runs for hours pays it once.",
        ]
    costs = [row for row in batch_cost if row["configured"]]
    if costs:
        fixed = costs[0]
        lines += [
            f"- **Fixed cost of a micro-batch.** A batch of "
            f"{fixed['records_per_batch']:,} records takes {fixed['median_seconds']:.2f} s "
            "(median, configured settings), so the delay cannot fall below about two of "
            f"those, {2 * fixed['median_seconds']:.1f} s, against the "
            f"{TARGET_FRESHNESS_P95_SECONDS:.0f} s target, however fast the job drains. "
            f"Those batches come from drains of about "
            f"{fixed['batches'] // ROUNDS + WARM_UP_BATCHES} batches each, while the JVM "
            "still compiles; the continuous job's batches took "
            f"{fresh.get('median_batch_seconds', 0):.1f} s for "
            f"{fresh.get('median_batch_records', 0):,.0f} records (medians, warm-up "
            "included).",
        ]
    return lines


SILVER_MODEL = "int_listening_events_deduplicated"


def _startup_seconds(run: dict[str, Any]) -> float:
    """Wall seconds of a dbt invocation before it ran anything: start-up and parsing."""
    return max(float(run["seconds"]) - float(run.get("execution_seconds", run["seconds"])), 0.0)


def _heaviest(models: dict[str, float], count: int = 3) -> str:
    return ", ".join(
        f"`{model}` {seconds:.2f} s"
        for model, seconds in sorted(models.items(), key=lambda item: -item[1])[:count]
    )


def dbt_section(dbt: dict[str, Any]) -> list[str]:
    """The dbt measurement: both builds, per model, and where the incremental time goes."""
    full, incremental = dbt["full"], dbt["incremental"]
    idle = dbt.get("nothing_new")
    # Left out of the incremental build: the daily models, and the reference branch while
    # its inputs are unchanged.
    reference = sorted(set(dbt.get("reference_models", [])) - set(incremental["models"]))
    daily = sorted(set(full["models"]) - set(incremental["models"]) - set(reference))

    def idle_cell(value: float | None) -> str:
        """The nothing-new column's cell, when the run measured it."""
        if idle is None:
            return ""
        return "  |" if value is None else f" {value:.2f} |"

    rows = [
        f"| {model} | {seconds:.2f} | "
        + (
            f"{incremental['models'][model]:.2f} | {incremental['models'][model] / seconds:.0%} |"
            if model in incremental["models"] and seconds > 0
            else f"{incremental['models'].get(model, 0.0):.2f} |  |"
            if model in incremental["models"]
            else "inputs unchanged |  |"
            if model in reference
            else "daily DAG |  |"
        )
        + idle_cell(idle["models"].get(model) if idle else None)
        for model, seconds in sorted(full["models"].items())
    ]
    model_seconds = sum(incremental["models"].values())
    idle_header = " nothing new (s) |" if idle else ""
    return [
        f"## dbt on DuckDB: {dbt['events']:,} events, then {dbt['new_events']:,} more",
        "",
        f"Silver ends with {dbt['silver_rows']:,} rows. Full build (`dbt build "
        "--full-refresh --exclude resource_type:unit_test`, every model and data test) "
        f"{full['seconds']:.1f} s; incremental build (`dbt build --exclude tag:daily "
        "resource_type:unit_test`: the models and tests the transformation DAG runs after "
        "each ingest, in one dbt command where the DAG runs one per layer"
        + (f"; {', '.join(daily)} is rebuilt once a day by its own DAG" if daily else "")
        + (
            f"; the reference branch ({', '.join(reference)}) and the data tests that read "
            "only it are left out, its inputs unchanged since the full build recorded them "
            "(`--exclude tag:reference --indirect-selection cautious`)"
            if reference
            else ""
        )
        + f") {incremental['seconds']:.1f} s = {dbt['incremental_share']:.1%} of the full. "
        f"Load average (1 min) when each started: {full.get('load_average', 0.0)} and "
        f"{incremental.get('load_average', 0.0)}. The bench's bronze history spans "
        f"{dbt.get('history_days', 0)} days of event time and arrives in order; the new rows "
        f"arrive after it, {1 - dbt.get('new_late_share', 0.0):.0%} from the latest day and "
        f"{dbt.get('new_late_share', 0.0):.0%} late events from any day of the history.",
        "",
        f"| model or snapshot | full (s) | incremental (s) | incremental / full |{idle_header}",
        "| --- | --- | --- | --- |" + (" --- |" if idle else ""),
        *rows,
        f"| all data tests (summed) | {full.get('tests_seconds', 0.0):.2f} | "
        f"{incremental.get('tests_seconds', 0.0):.2f} |  |"
        + idle_cell(idle.get("tests_seconds", 0.0) if idle else None),
        f"| dbt start-up and parsing | {_startup_seconds(full):.2f} | "
        f"{_startup_seconds(incremental):.2f} |  |"
        + idle_cell(_startup_seconds(idle) if idle else None),
        f"| wall time of `dbt build` | {full['seconds']:.2f} | {incremental['seconds']:.2f} | "
        f"{dbt['incremental_share']:.0%} |" + idle_cell(idle["seconds"] if idle else None),
        "",
        *_nothing_new_text(dbt),
        *_one_view_text(dbt),
        f"Where the incremental build's {incremental['seconds']:.1f} s go: "
        f"{_startup_seconds(incremental):.1f} s before dbt runs anything (start-up, parsing "
        f"the project), then {model_seconds:.1f} s of models and snapshot (heaviest: "
        f"{_heaviest(incremental['models'])}) and {incremental.get('tests_seconds', 0.0):.1f} s "
        "of data tests, summed over dbt's threads. The full build's data tests read whole tables; "
        "the incremental build's read the rows that arrived in the last hour of the models "
        "that name an arrival column (silver, fct_listens, the per-key aggregates) and whole "
        "tables elsewhere.",
        "",
        *_levers_section(dbt),
    ]


def _share_of_full(run: dict[str, Any], dbt: dict[str, Any]) -> float:
    """A dbt invocation's wall time as a share of the full build's."""
    full_seconds = float(dbt["full"]["seconds"])
    return float(run["seconds"]) / full_seconds if full_seconds > 0 else 0.0


def _nothing_new_text(dbt: dict[str, Any]) -> list[str]:
    """What the scheduled build costs when nothing arrived: its floor at this size."""
    idle = dbt.get("nothing_new")
    if not idle:
        return []
    return [
        f"Run again at once, with no new events (a run still re-reads the arrivals of the "
        f"last lookback_minutes), the incremental build took "
        f"{idle['seconds']:.1f} s = {_share_of_full(idle, dbt):.1%} of the full build "
        f"({idle.get('nodes', 0)} "
        f"models, snapshots and data tests; {_startup_seconds(idle):.1f} s of start-up and "
        f"parsing, {idle.get('tests_seconds', 0.0):.1f} s of data tests summed over dbt's "
        "threads): what a scheduled build costs at this size whatever arrived, in dbt's own "
        "work per node and in the models' scans of the large tables.",
        "",
    ]


def _one_view_text(dbt: dict[str, Any]) -> list[str]:
    """What any dbt command costs on this project and host: one that builds one view."""
    one_view = dbt.get("one_view")
    if not one_view:
        return []
    return [
        f"A dbt command that builds one view (`dbt build --select "
        f"stg_bronze__listening_events`) took {one_view['seconds']:.1f} s = "
        f"{_share_of_full(one_view, dbt):.1%} of the full build, "
        f"{_startup_seconds(one_view):.1f} s of it before dbt ran anything: the start-up every "
        "dbt command pays (Python and dbt's imports, loading the project from its "
        "partial-parse state, writing the manifest, opening the warehouse) before the "
        "scheduled build's own work.",
        "",
    ]


def _levers_section(dbt: dict[str, Any]) -> list[str]:
    """The incremental build again with each lever off, against the runs with all on."""
    levers = dbt.get("levers_off") or {}
    if not levers:
        return []
    on_runs = [
        dbt["incremental"],
        *([dbt["incremental_again"]] if dbt.get("incremental_again") else []),
    ]
    on = {
        "seconds": statistics.mean(run["seconds"] for run in on_runs),
        "startup": statistics.mean(_startup_seconds(run) for run in on_runs),
        "tests": statistics.mean(run.get("tests_seconds", 0.0) for run in on_runs),
    }
    descriptions = dbt.get("lever_descriptions", {})
    rows = [
        f"| {name} | {on['seconds']:.2f} | {run['seconds']:.2f} | "
        f"{run['seconds'] - on['seconds']:+.2f} | "
        f"{on['startup']:.2f} / {_startup_seconds(run):.2f} | "
        f"{on['tests']:.2f} / {run.get('tests_seconds', 0.0):.2f} | "
        f"{descriptions.get(name, '')} |"
        for name, run in levers.items()
    ]
    if len(on_runs) > 1:
        on_text = (
            "The on column is the mean of the incremental build above and the same run once "
            "more after the levers, every lever on, from the same copy "
            f"({on_runs[0]['seconds']:.2f} and {on_runs[1]['seconds']:.2f} s): later runs of a "
            "session tend to be faster, and the off runs come between them. "
        )
    else:
        on_text = "The on column is the incremental build above. "
    return [
        "Each lever of the incremental build measured off: the same run again from a copy "
        "of the warehouse and target folder as they were before it, that one lever undone. "
        f"{on_text}"
        f"dbt's modules had compiled bytecode: {'yes' if dbt.get('bytecode_cached') else 'no'}.",
        "",
        "| lever | on (s) | off (s) | off - on (s) | start-up on / off (s) "
        "| data tests on / off (s) | what it is |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _dbt_limits(dbt: dict[str, Any]) -> list[str]:
    """Why the incremental build missed its target, from the run's own figures."""
    full, incremental = dbt["full"], dbt["incremental"]
    startup = _startup_seconds(incremental)
    tests = incremental.get("tests_seconds", 0.0)
    budget = TARGET_INCREMENTAL_SHARE * full["seconds"]
    return [
        f"- **dbt incremental.** The target allows {budget:.1f} s "
        f"({TARGET_INCREMENTAL_SHARE:.0%} of the full {full['seconds']:.1f} s); the "
        f"incremental build took {incremental['seconds']:.1f} s. Of that, {startup:.1f} s "
        f"is dbt starting and parsing the project ({startup / max(full['seconds'], 1e-9):.1%} "
        f"of the full build before any SQL runs), {tests:.1f} s the data tests (summed over "
        f"dbt's threads, mostly dbt's own work per test), and the models "
        f"{_heaviest(incremental['models'])}. "
        f"Silver took {incremental['models'].get(SILVER_MODEL, 0.0):.2f} s against "
        f"{full['models'].get(SILVER_MODEL, 0.0):.2f} s for its full build."
        + (
            f" The same build with nothing new took {dbt['nothing_new']['seconds']:.1f} s "
            f"({_share_of_full(dbt['nothing_new'], dbt):.1%} of the full): "
            "the floor any change to what the models read has to get under."
            if dbt.get("nothing_new")
            else ""
        )
        + (
            f" A dbt command that builds one view took {dbt['one_view']['seconds']:.1f} s "
            f"({_share_of_full(dbt['one_view'], dbt):.1%} of the full): what starting dbt "
            "costs here before any of the scheduled build's nodes."
            if dbt.get("one_view")
            else ""
        ),
    ]


def batch_cost_section(rows: list[dict[str, Any]] | None) -> list[str]:
    if not rows:
        return []
    records = rows[0]["records_per_batch"]
    return [
        "### Fixed cost of a micro-batch",
        "",
        "The bronze job (available-now) drained small topics in micro-batches of about "
        f"{records:,} records (`ingest.max_offsets_per_trigger`), so a batch's seconds are "
        "nearly all fixed work: planning, the Spark jobs' tasks, the Delta commit and its "
        f"post-commit hooks. Each setting ran {ROUNDS} times, alternately with the other; the "
        f"figures pool the full batches after the first {WARM_UP_BATCHES} of each run "
        "(`bench/batch_cost.py`).",
        "",
        "| lever | setting | batches | median (s) | p90 (s) | addBatch median (ms) | "
        "first batch (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {row['lever']} | {row['setting']}{' (configured)' if row['configured'] else ''}"
            f" | {row['batches']} | {row['median_seconds']:.2f} | {row['p90_seconds']:.2f} | "
            f"{row['median_add_batch_ms']:,.0f} | {row['first_batch_seconds']:.1f} |"
            for row in rows
        ),
        "",
    ]


def _jit_lines(job: dict[str, Any], cores: int | None) -> list[str]:
    """How much of the machine the bronze job's JIT compilers took (-XX:+CITime), if known."""
    jit, c2, wall = job.get("jit_seconds"), job.get("c2_seconds"), job.get("wall_seconds")
    if not (jit and c2 and wall and cores):
        return []
    return [
        f"- **The JIT compilers.** Over the job's {wall:.1f} s from launch to exit, its JVM "
        f"compiled for {jit:.1f} s ({c2:.1f} s of it in C2, the optimizing compiler that "
        f"turns hot code into fast machine code): {jit / (wall * cores):.0%} of the CPU time "
        f"{cores} cores give in that time, taken from the tasks. In a drain logged method by "
        "method (README, Performance), C2 kept compiling to the end, driver and task code "
        "alike, not only in the first batch. Compiling less eagerly, C2 alone or C1 alone "
        "made the drain no faster; C2 inlining less (`spark.driver_java_options`) compiles "
        'less and drains faster ("Levers", JIT inlining).',
    ]


def _batches_phrase(drain: dict[str, Any]) -> str:
    """The drain's micro-batches, named for the sentence that gives their seconds."""
    batches = drain.get("bronze_batches") or []
    if len(batches) == 1:
        return "The drain's one micro-batch (`ingest.max_offsets_per_trigger` held it all)"
    if _first_batch(drain) is not None:
        return (
            f"The drain's {len(batches)} micro-batches (the first one longer than the rest: "
            "the warm-up, below)"
        )
    return f"The drain's {len(batches)} micro-batches"


def _first_batch(drain: dict[str, Any]) -> tuple[float, float] | None:
    """The drain's first micro-batch and the median of the later full ones, in seconds."""
    batches = drain.get("bronze_batches") or []
    if len(batches) < 2:
        return None
    size = batches[0]["records"]
    later = [b["seconds"] for b in batches[1:] if is_full(b["records"], size)]
    if not later:
        return None
    return batches[0]["seconds"], statistics.median(later)


def _small_files_section(files: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    interval = fresh["trigger_interval"]
    compaction = fresh["compaction"]
    amount, unit = interval.split()
    seconds = float(amount) * {"second": 1, "minute": 60}[unit.rstrip("s")]
    per_day = 86_400 / seconds  # micro-batches a day at the configured trigger, under traffic
    return [
        "## Small files",
        "",
        f"The freshness run's {files['streaming_commits']} micro-batches added "
        f"{files['streamed_files']} files ({files['files_per_commit']:.2f} per batch, with "
        f"optimized writes; compaction: {compaction}). At the configured {interval} "
        "trigger, under steady traffic, that is about "
        f"{files['files_per_commit'] * per_day:,.0f} files a day before compaction. Reading "
        "the fullest day (count, distinct users, total ms played through DuckDB's "
        "delta_scan, fastest of three) before and after `jobs/bronze_maintenance.py` "
        f"(OPTIMIZE, {files['optimize_wall_seconds']:.1f} s with spark-submit start-up):",
        "",
        "| day | rows | files before | read before (s) | files after | read after (s) |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {files['day']} | {files['rows']:,} | {files['files_before']} | "
        f"{files['read_seconds_before']:.3f} | {files['files_after']} | "
        f"{files['read_seconds_after']:.3f} |",
        "",
    ]


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput bars and the freshness percentiles, side by side."""
    measures = results["drain"]["measures"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = ["Kafka ceiling", "Python baseline", "bronze job"]
    left.barh(names, [m["events_per_second"] for m in measures], color=["#999", "#c84", "#48c"])
    floor = TARGET_BRONZE_OVER_PYTHON * measures[PYTHON]["events_per_second"]
    left.axvline(floor, color="red", linestyle="--", label=f"{TARGET_BRONZE_OVER_PYTHON}x Python")
    left.set_xlabel("events/s")
    left.set_title(f"drain of {results['drain']['produced']:,} events")
    left.legend()
    fresh = results["freshness"]
    right.bar(["p50", "p95", "max"], [fresh["p50"], fresh["p95"], fresh["maximum"]], color="#48c")
    right.axhline(TARGET_FRESHNESS_P95_SECONDS, color="red", linestyle="--", label="p95 target")
    right.set_ylabel("seconds")
    right.set_title(f"freshness at {fresh['rate']:,} events/s")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _previous_run(path: Path, results: dict[str, Any]) -> dict[str, Any] | None:
    """The run this one replaces, when it was at the same scale."""
    if not path.exists():
        return None
    previous: dict[str, Any] = json.loads(path.read_text())
    # By name: a scale gains fields over releases, and a full run is a full run.
    same = previous.get("scale", {}).get("name") == results["scale"]["name"]
    return previous if same else None


def write_outputs(results: dict[str, Any], directory: Path, command: str) -> dict[str, Path]:
    """performance.json, PERFORMANCE.md and performance.png in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "performance.json",
        "markdown": directory / "PERFORMANCE.md",
        "chart": directory / "performance.png",
    }
    previous = _previous_run(paths["json"], results)
    paths["json"].write_text(json.dumps(results, indent=2) + "\n")
    paths["markdown"].write_text(markdown(results, command, previous))
    chart(results, paths["chart"])
    return paths


def write_dbt_outputs(results: dict[str, Any], directory: Path) -> Path:
    """dbt-cost.json and dbt-cost.md (`python -m bench --only dbt`); returns the page."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dbt-cost.json").write_text(json.dumps(results, indent=2) + "\n")
    dbt = results["dbt"]
    share = dbt["incremental_share"]
    verdict = "met" if share <= TARGET_INCREMENTAL_SHARE else "missed"
    lines = [
        f"Run {results['started_at']}, {results['seconds']:.0f} s; load average (1 min) "
        f"{results['load_average']['start']} at the start, {results['load_average']['end']} "
        f"at the end. Target incremental / full <= {TARGET_INCREMENTAL_SHARE:.0%}: "
        f"{share:.1%}, {verdict}.",
        "",
        *dbt_section(dbt),
        *(_dbt_limits(dbt) if verdict == "missed" else []),
    ]
    page = directory / "dbt-cost.md"
    page.write_text("\n".join(lines) + "\n")
    return page
