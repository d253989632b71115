"""Fault drills on a real stack: crashes, broker restarts, a second writer, duplicate sends.

Each drill runs on its own sandbox (own broker ports, lake and checkpoints under a work
folder) and returns figures for docs/RELIABILITY.md. The same code runs reduced in the
default test suite and full from `lakehouse reliability --scale full`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console

from lakehouse import pipeline
from lakehouse.lake.tables import SILVER_EVENTS_TABLE
from lakehouse.monitoring.reconcile import Ledger, ledger
from lakehouse.reliability.harness import (
    JobProcess,
    Traffic,
    commit_actions,
    committed_batch,
    compaction_commits,
    delta_versions,
    is_ingest_commit,
    streaming_batch_of,
    transaction_versions,
    wait_for,
)
from lakehouse.sandbox import sandbox_stack
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import ingest_checkpoint


@dataclass(frozen=True)
class Scale:
    """How big each drill is."""

    name: str
    crash_events: int
    kills: int
    broker_events: int
    broker_restarts: int
    duplicate_events: int
    bad_every: int = 97


REDUCED = Scale("reduced", crash_events=10_000, kills=3, broker_events=5_000,
                broker_restarts=1, duplicate_events=2_000)  # fmt: skip
FULL = Scale("full", crash_events=200_000, kills=10, broker_events=60_000,
             broker_restarts=3, duplicate_events=50_000)  # fmt: skip
SCALES = {scale.name: scale for scale in (REDUCED, FULL)}

# Drills run for minutes; each step is printed as it happens, so a watcher can tell a slow
# drill from a stuck one (stderr: the report itself goes to the output file).
progress = Console(stderr=True, highlight=False)


def step(message: str) -> None:
    """Print one timestamped drill step."""
    progress.print(f"  {datetime.now(UTC):%H:%M:%S} {message}")


@dataclass
class ScenarioResult:
    """Figures of one drill; `passed` means nothing lost, nothing doubled, counts reconcile."""

    name: str
    description: str
    events: int = 0
    kills: int = 0
    commit_kills: int = 0
    restarts: int = 0
    bad_records: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds: float = 0.0
    passed: bool = False
    notes: str = ""
    # Kills after bronze committed a batch and before quarantine committed the same batch.
    between_tables_kills: int = 0
    # Records the drill's producer sent, and the coordinates counted at the end (the figures
    # `passed` is worked out from; tests work the verdict out again from them).
    sent: int = 0
    counts: Ledger | None = None


STREAMING = {
    "LAKEHOUSE__INGEST__TRIGGER_INTERVAL": "2 seconds",
    "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER": "4000",
}


def _drain(settings: Settings, root: Path) -> None:
    """Run the job with the available-now trigger until it has read everything Kafka holds."""
    job = JobProcess(settings, "available-now", root / "drain.log")
    job.start()
    code = job.wait(900)
    if code != 0:
        raise RuntimeError(
            f"the drain run failed with exit code {code}; its log ends:\n{job.log_tail()}"
        )


@dataclass(frozen=True)
class CommitKill:
    """Where a kill aimed at a bronze commit landed."""

    batch: int | None
    # The checkpoint had not marked the batch committed yet.
    in_window: bool
    # The quarantine table did not hold the batch yet (it may never need to).
    quarantine_behind: bool


def _kill_at_commit(job: JobProcess, settings: Settings) -> CommitKill:
    """Kill the job the instant bronze gains a micro-batch's Delta commit (not the table's
    creation or a compaction), and say where the kill fell."""
    location = settings.bronze_events_location
    known = max(delta_versions(location), default=-1)
    found: list[int] = []

    def batch_committed_or_job_ended() -> bool:
        found[:] = [
            version
            for version in delta_versions(location)
            if version > known and is_ingest_commit(commit_actions(location, version))
        ]
        return bool(found) or not job.running

    if not wait_for(batch_committed_or_job_ended, 90, every=0.002):
        job.kill()
        return CommitKill(None, in_window=False, quarantine_behind=False)
    if not found:
        job.ensure_running()
    job.kill()
    batch = streaming_batch_of(location, found[0])
    committed = committed_batch(ingest_checkpoint(settings))
    in_window = batch is not None and (committed is None or batch > committed)
    behind = batch is not None and batch not in transaction_versions(settings.quarantine_location)
    return CommitKill(batch, in_window=in_window, quarantine_behind=behind)


def _between_tables(kills: list[CommitKill], settings: Settings) -> int:
    """Kills that fell between the two tables' commits of a batch: bronze held the batch,
    quarantine did not, and quarantine got it after the restart."""
    quarantine = transaction_versions(settings.quarantine_location)
    return sum(1 for kill in kills if kill.quarantine_behind and kill.batch in quarantine)


def _finish(
    result: ScenarioResult, settings: Settings, traffic: Traffic, started: float
) -> ScenarioResult:
    counts = ledger(settings)
    result.counts = counts
    result.sent = traffic.sent
    result.events = counts.in_kafka
    result.bad_records = traffic.bad
    result.lost = counts.lost
    result.duplicated = counts.duplicated
    result.seconds = time.monotonic() - started
    result.passed = (
        traffic.error is None
        and traffic.failed == 0
        and counts.lost == 0
        and counts.duplicated == 0
        and counts.in_kafka == traffic.sent
        and counts.quarantine == traffic.bad
    )
    result.notes += (
        f" bronze {counts.bronze:,}, quarantine {counts.quarantine:,} "
        f"(bad records sent {traffic.bad:,}), Kafka {counts.in_kafka:,}."
    )
    return result


def crash_restart(root: Path, scale: Scale, seed: int) -> ScenarioResult:
    """kill -9 the streaming job repeatedly (half of the kills right at a Delta commit)."""
    result = ScenarioResult(
        "kill -9 and restart",
        f"{scale.kills} kill -9 of the continuous job while events flow; every other kill "
        "fires the moment bronze gains a Delta commit; restart from the checkpoint each time; "
        "finally drain with available-now.",
    )
    rng = random.Random(seed)
    started = time.monotonic()
    with sandbox_stack(root, STREAMING) as (settings, _):
        traffic = Traffic(
            settings,
            events=scale.crash_events,
            rate=scale.crash_events / (scale.kills * 20),
            bad_every=scale.bad_every,
            seed=seed,
        )
        traffic.start()
        job = JobProcess(settings, "continuous", root / "job.log")
        job.start()
        step(f"producing {scale.crash_events:,} events; continuous job started")
        # A kill aimed at the commit window can miss it (the window is milliseconds wide):
        # aimed kills go on past the planned count until one lands inside it and one lands
        # before quarantine's commit of the same batch, at most a few more.
        commit_kills: list[CommitKill] = []

        def aimed_kills_landed() -> bool:
            return result.commit_kills > 0 and any(k.quarantine_behind for k in commit_kills)

        while result.kills < scale.kills or (
            not aimed_kills_landed() and result.kills < scale.kills + 4
        ):
            if result.kills % 2 or result.kills >= scale.kills:
                kill = _kill_at_commit(job, settings)
                commit_kills.append(kill)
                result.commit_kills += kill.in_window
                how = "at a Delta commit, " + ("inside" if kill.in_window else "outside")
                how += " the commit window"
                if kill.quarantine_behind:
                    how += ", before quarantine's commit of the batch"
            else:
                time.sleep(rng.uniform(4, 20))
                job.ensure_running()
                job.kill()
                how = "at a random moment"
            result.kills += 1
            job.start()
            result.restarts += 1
            step(f"kill -9 #{result.kills} ({how}); restarted; {traffic.sent:,} events sent")
        traffic.join()
        job.stop()
        step("traffic done; draining with available-now")
        _drain(settings, root)
        result.between_tables_kills = _between_tables(commit_kills, settings)
        compactions = compaction_commits(settings.bronze_events_location)
        result.notes = (
            f"{result.commit_kills} kills landed inside the commit window, "
            f"{result.between_tables_kills} between bronze's and quarantine's commits of a "
            f"batch; the job's compaction committed {compactions} times beside the batches."
        )
        return _finish(result, settings, traffic, started)


def broker_restart(root: Path, scale: Scale, seed: int) -> ScenarioResult:
    """Stop and restart the Kafka broker under a running stream (and its producer)."""
    result = ScenarioResult(
        "broker stop and restart",
        f"{scale.broker_restarts} stop/start cycles of the Kafka broker while events flow "
        "and the continuous job runs; the job is restarted if it dies; finally drained.",
    )
    started = time.monotonic()
    with sandbox_stack(root, STREAMING) as (settings, broker):
        traffic = Traffic(
            settings,
            events=scale.broker_events,
            rate=scale.broker_events / (scale.broker_restarts * 30 + 20),
            bad_every=scale.bad_every,
            seed=seed,
        )
        traffic.start()
        job = JobProcess(settings, "continuous", root / "job.log")
        job.start()
        for _ in range(scale.broker_restarts):
            location = settings.bronze_events_location
            known = len(delta_versions(location))
            wait_for(lambda: len(delta_versions(location)) > known, 120)  # noqa: B023
            broker.stop()
            step("broker stopped")
            time.sleep(5)
            broker.start()
            step(f"broker started again; {traffic.sent:,} events sent")
            if not job.running:
                job.start()
                result.restarts += 1
            time.sleep(10)
        traffic.join()
        if not job.running:
            result.restarts += 1
        job.stop()
        step("traffic done; draining with available-now")
        _drain(settings, root)
        result.notes = f"{scale.broker_restarts} broker restarts; job restarts {result.restarts}."
        return _finish(result, settings, traffic, started)


def second_writer(root: Path, scale: Scale, seed: int) -> ScenarioResult:
    """Start a second job on the checkpoint a running job uses: it must be refused."""
    result = ScenarioResult(
        "second job on the same checkpoint",
        "while the continuous job runs (caught up, idle), start another on the same "
        "checkpoints and tables: it must exit with code 3 and change nothing.",
    )
    started = time.monotonic()
    with sandbox_stack(root, STREAMING) as (settings, _):
        traffic = Traffic(settings, events=2_000, rate=50_000, bad_every=scale.bad_every, seed=seed)
        traffic.run()
        first = JobProcess(settings, "continuous", root / "first.log")
        first.start()

        def all_landed() -> bool:
            try:
                return ledger(settings).lost == 0
            except duckdb.Error:  # the tables do not exist before the first batch
                return False

        caught_up = wait_for(all_landed, 180, every=1)
        step(
            f"first job {'caught up' if caught_up else 'NOT caught up after 180 s'}; "
            "starting a second job on the same checkpoints"
        )
        before = (delta_versions(settings.bronze_events_location), ledger(settings))
        second = JobProcess(settings, "available-now", root / "second.log")
        second.start()
        code = second.wait(300)
        after = (delta_versions(settings.bronze_events_location), ledger(settings))
        first.stop()
        refused = "refused" in (root / "second.log").read_text(errors="replace")
        unchanged = before == after
        result.notes = (
            f"second job exit code {code} ({'refused' if refused else 'NOT refused'}); "
            f"tables {'unchanged' if unchanged else 'CHANGED'}."
        )
        finished = _finish(result, settings, traffic, started)
        finished.passed = finished.passed and caught_up and code == 3 and refused and unchanged
        return finished


def duplicate_sends(root: Path, scale: Scale, seed: int) -> ScenarioResult:
    """Send every event twice (a replay): bronze keeps both, silver holds each event once."""
    result = ScenarioResult(
        "duplicate sends (replay)",
        f"{scale.duplicate_events:,} events produced, then the same events produced again; "
        "ingest, dbt build; silver must hold each event_id once.",
    )
    started = time.monotonic()
    with sandbox_stack(root) as (settings, _):
        end = datetime.now(UTC)
        for _ in range(2):
            pipeline.produce(settings, events=scale.duplicate_events, rate=None, seed=seed, end=end)
        step(f"{scale.duplicate_events:,} events sent twice; ingest, then dbt build")
        pipeline.ingest(settings, "available-now")
        pipeline.transform(settings)
        counts = ledger(settings)
        result.counts = counts
        database = settings.path(settings.warehouse.duckdb_path)
        with duckdb.connect(str(database), read_only=True) as connection:
            row = connection.execute(
                f"select count(*), count(distinct event_id) from {SILVER_EVENTS_TABLE}"
            ).fetchone()
        assert row is not None
        silver, distinct_ids = int(row[0]), int(row[1])
        result.events = counts.in_kafka
        result.lost = counts.lost
        result.duplicated = counts.duplicated + (silver - distinct_ids)
        result.seconds = time.monotonic() - started
        result.passed = (
            counts.lost == 0
            and counts.duplicated == 0
            and counts.bronze == 2 * scale.duplicate_events
            and silver == distinct_ids == scale.duplicate_events
        )
        result.notes = (
            f"bronze {counts.bronze:,} raw records; silver {silver:,} rows, "
            f"{distinct_ids:,} distinct event ids."
        )
        return result


SCENARIOS: dict[str, Callable[[Path, Scale, int], ScenarioResult]] = {
    "crash": crash_restart,
    "broker": broker_restart,
    "second-writer": second_writer,
    "duplicates": duplicate_sends,
}


def run_all(
    workdir: Path, scale: Scale, seed: int, console: Console, only: list[str] | None = None
) -> list[ScenarioResult]:
    """Run the drills in order, printing each result as it lands."""
    results = []
    for key, scenario in SCENARIOS.items():
        if only and key not in only:
            continue
        console.rule(f"drill: {key} ({scale.name})")
        result = scenario(workdir / key, scale, seed)
        verdict = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
        console.print(f"{verdict} {result.name}: {result.notes} ({result.seconds:.0f}s)")
        results.append(result)
    return results
