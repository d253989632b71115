"""Freshness: how long after it is produced an event is readable in bronze.

The continuous job runs while events are produced at a steady rate. An event is readable
when the Delta commit that adds its file is in the log, so each row's delay is the commit
file's modification time minus the row's Kafka timestamp (the producer's send time).
Start-up is left out: one second of warm-up events is readable before the measured
traffic starts.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Producer

from lakehouse.lake.tables import delta_row_count, lake_connection
from lakehouse.pipeline import configured_catalog
from lakehouse.reliability.harness import (
    JobProcess,
    commit_actions,
    delta_versions,
    is_ingest_commit,
    wait_for,
)
from lakehouse.settings import Settings
from lakehouse.simulator import generate_events, producer_config

WARM_UP_SECONDS = 1
# The p95 is also given per this many seconds of sending, in order: the first windows show
# the job's JVM still compiling its hot code, the later ones the steady state.
WINDOW_SECONDS = 10


@dataclass(frozen=True)
class FreshnessResult:
    """Delay percentiles in seconds over the events readable in bronze (all of them when
    `caught_up`)."""

    rate: int
    seconds: int
    warm_up_events: int
    sent: int
    caught_up: bool
    events: int
    p50: float
    p95: float
    maximum: float
    achieved_rate: float
    # p95 of the events sent in each WINDOW_SECONDS of the traffic, in order.
    p95_by_window: tuple[float, ...] = ()


def produce_steadily(settings: Settings, rate: int, seconds: int, seed: int) -> tuple[int, float]:
    """Send `rate` events per second for `seconds`; the payloads are generated beforehand so
    the pacing measures Kafka and the job, not the simulator. Returns (sent, events/s)."""
    total = rate * seconds
    catalog = configured_catalog(settings)
    events = generate_events(catalog, count=total, seed=seed, end=datetime.now(UTC), window_hours=1)
    topics = settings.event_topics
    payloads = [(event.topic(topics), event.key, event.to_json()) for event in events]
    producer = Producer({**producer_config(settings.kafka_bootstrap), "linger.ms": 5})
    started = time.monotonic()
    for number, (topic, key, value) in enumerate(payloads, start=1):
        while True:
            try:
                producer.produce(topic, value=value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
        if number % 200 == 0:
            producer.poll(0)
            ahead = number / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    elapsed = time.monotonic() - started
    if producer.flush(60) != 0:
        raise RuntimeError("the freshness producer could not deliver every event")
    return total, total / elapsed


def measure_freshness(
    settings: Settings, rate: int, seconds: int, seed: int, log_path: Path
) -> FreshnessResult:
    """Run the continuous job, wait until it is up, produce steadily, then read the delays."""
    job = JobProcess(settings, "continuous", log_path)
    job.start()
    try:
        if not wait_for(lambda: "started" in _text(log_path), 300, every=0.5):
            raise RuntimeError(f"the continuous job did not start; see {log_path}")
        # The first micro-batch with data pays for code generation and the tables' creation
        # (tens of seconds on a busy machine): one second of events goes first, and the
        # delays are measured on the steady traffic after it is readable.
        warm_up, _ = produce_steadily(settings, rate, WARM_UP_SECONDS, seed + 1)
        if not wait_for(lambda: _readable_rows(settings) >= warm_up, 300, every=0.5):
            raise RuntimeError(f"the warm-up events never became readable; see {log_path}")
        steady_from = time.time()
        sent, achieved = produce_steadily(settings, rate, seconds, seed)

        def all_readable() -> bool:
            return _readable_rows(settings) >= warm_up + sent

        # A job slower than the rate falls behind; it gets ten times the produce window to
        # catch up, and events still unreadable then are reported, not waited for.
        caught_up = wait_for(all_readable, max(120, 10 * seconds), every=1)
    finally:
        job.stop()
    sent_and_delays = row_delays(settings, steady_from)
    ordered = sorted(delay for _, delay in sent_and_delays)
    if not ordered:
        raise RuntimeError(f"no produced event reached bronze; see {log_path}")
    return FreshnessResult(
        rate=rate,
        seconds=seconds,
        warm_up_events=warm_up,
        sent=sent,
        caught_up=caught_up,
        events=len(ordered),
        p50=statistics.median(ordered),
        p95=percentile(ordered, 0.95),
        maximum=ordered[-1],
        achieved_rate=achieved,
        p95_by_window=p95_by_window(sent_and_delays, seconds),
    )


def percentile(ordered: list[float], fraction: float) -> float:
    """The value of sorted values below which `fraction` of them lie (nearest rank)."""
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def windows_text(p95_by_window: tuple[float, ...] | list[float]) -> str:
    """The p95 of each window, as the console and the page print them: "4.4 / 3.2 / 2.4"."""
    return " / ".join(f"{p95:.1f}" for p95 in p95_by_window)


def p95_by_window(sent_and_delays: list[tuple[float, float]], seconds: int) -> tuple[float, ...]:
    """The p95 delay of the events sent in each WINDOW_SECONDS of `seconds` of traffic, from
    the first event sent, in order; 0.0 for a window in which nothing was sent."""
    windows: list[list[float]] = [[] for _ in range(max(1, math.ceil(seconds / WINDOW_SECONDS)))]
    first = min((sent for sent, _ in sent_and_delays), default=0.0)
    for sent, delay in sent_and_delays:
        number = min(len(windows) - 1, int((sent - first) // WINDOW_SECONDS))
        windows[number].append(delay)
    return tuple(percentile(sorted(window), 0.95) if window else 0.0 for window in windows)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _readable_rows(settings: Settings) -> int:
    """Rows in bronze; 0 before the job's first commit."""
    if not delta_versions(settings.bronze_events_location):
        return 0
    with lake_connection(settings) as connection:
        return delta_row_count(connection, settings.bronze_events_location) or 0


def commit_times(location: str) -> dict[str, float]:
    """Each file the stream wrote to a local Delta table -> when its commit became visible
    (epoch seconds). Files written by compaction are left out: their rows were already
    readable from the stream's own files."""
    log = Path(location) / "_delta_log"
    visible_at = {}
    for version in delta_versions(location):
        actions = commit_actions(location, version)
        if not is_ingest_commit(actions):
            continue
        moment = (log / f"{version:020d}.json").stat().st_mtime
        visible_at.update({a["add"]["path"]: moment for a in actions if "add" in a})
    return visible_at


def row_delays(settings: Settings, since: float) -> list[tuple[float, float]]:
    """(Kafka timestamp, seconds from it to its commit's visibility) of each bronze row sent
    at or after `since` (epoch seconds). Only the partition folders are read: the log's
    checkpoints are Parquet files too."""
    location = settings.bronze_events_location
    visible_at = commit_times(location)
    with lake_connection(settings) as connection:
        rows = connection.execute(
            """
            select filename, epoch_ms(kafka_timestamp) / 1000.0
            from read_parquet(
                ? || '/event_date=*/event_hour=*/*.parquet',
                filename = true,
                hive_partitioning = false
            )
            """,
            [location],
        ).fetchall()
    prefix = location.rstrip("/") + "/"
    delays: list[tuple[float, float]] = []
    for filename, produced_at in rows:
        relative = str(filename).removeprefix(prefix)
        if relative in visible_at and float(produced_at) >= since:
            delays.append((float(produced_at), visible_at[relative] - float(produced_at)))
    return delays
