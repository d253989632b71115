"""Drain measurements over the same pre-produced topics: Kafka's own consumer (the ceiling),
a hand-written Python consumer writing partitioned Parquet (the baseline), and the bronze job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from confluent_kafka import Consumer

from lakehouse.settings import Settings
from lakehouse.streaming.class_archive import archive_file, java_binary, pyspark_jars_dir
from lakehouse.streaming.spark_submit import (
    run_job_logged,
    spark_environment,
    spark_jars,
    spark_submit_command,
)

INGEST_PROFILE_JOB = Path(__file__).with_name("ingest_profile.py")


@dataclass(frozen=True)
class DrainResult:
    """Records read and the seconds it took; `seconds` excludes start-up where stated."""

    name: str
    records: int
    seconds: float
    megabytes: float | None = None
    wall_seconds: float | None = None
    note: str = ""
    # The JVM's JIT compilers' own time over its life (HotSpot's -XX:+CITime), all tiers and
    # C2 alone; None for readers that are not a JVM of ours.
    jit_seconds: float | None = None
    c2_seconds: float | None = None
    # Each run's seconds when `seconds` is their mean (pooled); empty for a single run.
    runs: tuple[float, ...] = ()

    @property
    def events_per_second(self) -> float:
        """Records per second over `seconds`."""
        return self.records / self.seconds if self.seconds > 0 else 0.0


def _mean(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.fmean(known) if len(known) == len(values) else None


def pooled(runs: list[DrainResult]) -> DrainResult:
    """Several runs of one reader over the same records as one result: the mean of each
    timing, and every run's seconds in `runs`. One run is returned as it is."""
    if len(runs) == 1:
        return runs[0]
    if len({run.records for run in runs}) != 1:
        raise ValueError(f"runs over different records: {[run.records for run in runs]}")
    return replace(
        runs[0],
        seconds=statistics.fmean(run.seconds for run in runs),
        wall_seconds=_mean([run.wall_seconds for run in runs]),
        jit_seconds=_mean([run.jit_seconds for run in runs]),
        c2_seconds=_mean([run.c2_seconds for run in runs]),
        runs=tuple(run.seconds for run in runs),
    )


def alternately(readers: list[Callable[[int], DrainResult]], rounds: int) -> list[DrainResult]:
    """Each reader `rounds` times, in turn (A B A B ...), each call given its round number
    from 1; every reader's runs pooled, in the readers' order. Runs later in a session tend
    to be faster, so taking turns gives no reader the session's warm end alone."""
    runs: list[list[DrainResult]] = [[] for _ in readers]
    for round_number in range(1, rounds + 1):
        for reader_runs, reader in zip(runs, readers, strict=True):
            reader_runs.append(reader(round_number))
    return [pooled(reader_runs) for reader_runs in runs]


def kafka_ceiling(settings: Settings, records: int) -> DrainResult:
    """Kafka's ConsumerPerformance tool (the broker's own jars) reading every event topic."""
    jars = settings.path(settings.kafka.broker.jars_dir)
    include = "|".join(sorted(settings.kafka.topics.values()))
    command = [
        "java",
        "-Xmx512m",
        "-cp",
        f"{jars}/*",
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server",
        settings.kafka_bootstrap,
        "--include",
        include,
        "--num-records",
        str(records),
        "--group",
        f"bench-ceiling-{uuid.uuid4().hex[:8]}",
        "--timeout",
        "30000",
    ]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if completed.returncode != 0:
        raise RuntimeError(f"ConsumerPerformance failed:\n{completed.stderr[-2000:]}")
    stats = _performance_stats(completed.stdout)
    consumed = int(float(stats["data.consumed.in.nMsg"]))
    # fetch.time.ms is the time spent fetching, without the group join (rebalance).
    fetch_seconds = float(stats["fetch.time.ms"]) / 1000
    return DrainResult(
        "Kafka ConsumerPerformance (ceiling)",
        consumed,
        fetch_seconds,
        megabytes=float(stats["data.consumed.in.MB"]),
        wall_seconds=wall,
        note="reads and discards; no parsing, no writes",
    )


def _performance_stats(output: str) -> dict[str, str]:
    """The tool prints a header line and a value line, both comma separated."""
    lines = [line for line in output.splitlines() if "," in line]
    header = next(index for index, line in enumerate(lines) if "nMsg" in line)
    names = [name.strip() for name in lines[header].split(",")]
    values = [value.strip() for value in lines[header + 1].split(",")]
    return dict(zip(names, values, strict=True))


PARTITION_FLUSH_RECORDS = 500_000


def python_baseline(settings: Settings, records: int, output: Path) -> DrainResult:
    """What a user would write by hand: confluent-kafka, json.loads, date/hour Parquet."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"bench-python-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(sorted(settings.kafka.topics.values()))
    buffers: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    consumed = buffered = files = 0
    started: float | None = None
    idle_since = time.monotonic()
    try:
        while consumed < records:
            messages = consumer.consume(num_messages=10_000, timeout=1.0)
            if not messages:
                if time.monotonic() - idle_since > 30:
                    break
                continue
            idle_since = time.monotonic()
            if started is None:
                started = time.monotonic()
            for message in messages:
                if message.error() is not None:
                    continue
                consumed += 1
                try:
                    event = json.loads(message.value() or b"")
                    moment = datetime.fromisoformat(event["event_at"]).astimezone(UTC)
                except (TypeError, ValueError, KeyError):
                    continue
                event["kafka_partition"] = message.partition()
                event["kafka_offset"] = message.offset()
                buffers[(moment.date().isoformat(), moment.hour)].append(event)
                buffered += 1
            if buffered >= PARTITION_FLUSH_RECORDS:
                files += _write_partitions(buffers, output)
                buffered = 0
        files += _write_partitions(buffers, output)
    finally:
        consumer.close()
    seconds = time.monotonic() - (started or time.monotonic())
    return DrainResult(
        "Python consumer -> partitioned Parquet (baseline)",
        consumed,
        seconds,
        note=f"json.loads + pyarrow, one process; {files} files; no validation or quarantine",
    )


def _write_partitions(buffers: dict[tuple[str, int], list[dict[str, Any]]], root: Path) -> int:
    written = 0
    for (day, hour), rows in buffers.items():
        folder = root / f"event_date={day}" / f"event_hour={hour}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{uuid.uuid4().hex}.parquet")
        written += 1
    buffers.clear()
    return written


def job_files(settings: Settings) -> list[Path]:
    """The files a bronze job's JVM reads as it loads classes: the JDK's modules, pyspark's
    jars, the connector jars and the class archive."""
    java = Path(shutil.which(java_binary()) or java_binary()).resolve()
    pyspark_jars = pyspark_jars_dir()
    files = [java.parent.parent / "lib" / "modules"]
    files += sorted(pyspark_jars.glob("*.jar")) if pyspark_jars else []
    files += spark_jars(settings)
    archive = archive_file(settings)
    return [path for path in [*files, archive] if path is not None and path.is_file()]


def read_job_files(settings: Settings) -> float:
    """Read job_files once, so the drains find them in the page cache; the seconds it took.

    The Python baseline runs inside the bench's own process, its libraries already loaded,
    while each bronze job is a new JVM that loads its classes from over a gigabyte of jars,
    the JDK's modules and the class archive. This machine's kernel pages out memory left unused
    for a minute (DAMON's pageout scheme), so the first drain of a session can read them from
    disk during its first batch. In a probe of 28 November in the bench's order, the first
    drain took 52.9 s and the two after it 44.8 and 44.3 s; run again with these files read
    just before the first drain, it took 44.9 s and the two after it 49.3 and 54.3 s. One pair
    of probes, with drains this noisy, does not prove the cause; the read costs 3 s, untimed,
    and removes it either way."""
    started = time.monotonic()
    for path in job_files(settings):
        with path.open("rb") as stream:
            while stream.read(1 << 22):
                pass
    return time.monotonic() - started


# HotSpot prints its JIT compilers' accumulated time when the JVM exits. It adds a few clock reads
# per compilation: alternate drains with it took 56.8 and 58.4 s, without it 58.2 s and, the
# session's first and cold, 66.2 s (28 November).
JIT_TIMES = "-XX:+CITime"


def jit_times(log: str) -> tuple[float | None, float | None]:
    """Seconds the JVM's JIT compilers worked, in all and in C2, from -XX:+CITime's report."""
    total = re.search(r"Total compilation time\s*:\s*([\d.]+) s", log)
    c2 = re.search(r"C2 Compile Time:\s*([\d.]+) s", log)
    return (
        float(total.group(1)) if total else None,
        float(c2.group(1)) if c2 else None,
    )


def with_driver_java_option(settings: Settings, option: str) -> Settings:
    """The settings with `option` after the driver JVM's configured extra options."""
    options = f"{settings.spark.driver_java_options} {option}".strip()
    spark = settings.spark.model_copy(update={"driver_java_options": options})
    return settings.model_copy(update={"spark": spark})


def bronze_job(settings: Settings, records: int, log_path: Path) -> DrainResult:
    """This suite's bronze job, available-now, from an empty checkpoint (its driver JVM also
    reports its JIT compilers' time)."""
    settings = with_driver_java_option(settings, JIT_TIMES)
    command = spark_submit_command(settings, job_args=["--trigger", "available-now"])
    environment = {**os.environ, **spark_environment(settings)}
    launched = time.monotonic()
    first_start: float | None = None
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            # The queries start once the JVM, the session and the sources are up.
            if first_start is None and line.startswith("[ingest]") and ": started" in line:
                first_start = time.monotonic()
        code = process.wait()
    finished = time.monotonic()
    if code != 0:
        raise RuntimeError(f"the bronze job failed with exit code {code}; see {log_path}")
    start_up = (first_start or launched) - launched
    jit, c2 = jit_times(log_path.read_text(errors="replace"))
    return DrainResult(
        "this suite's bronze job (available-now)",
        records,
        finished - (first_start or launched),
        wall_seconds=finished - launched,
        note=f"parse + validate + quarantine + Delta commit; start-up {start_up:.1f}s excluded",
        jit_seconds=jit,
        c2_seconds=c2,
    )


def ingest_profile(settings: Settings, workdir: Path, *, levers: bool = True) -> dict[str, Any]:
    """Seconds of each stage of the bronze job over the same topics (bench/ingest_profile.py),
    and with `levers`, each tuning lever measured both ways."""
    output = workdir / "ingest-profile.json"
    job_args = ["--output", str(output), "--scratch", str(workdir / "profile-tables")]
    if not levers:
        job_args.append("--stages-only")
    run_job_logged(settings, INGEST_PROFILE_JOB, job_args, workdir / "ingest-profile.log")
    profile: dict[str, Any] = json.loads(output.read_text())
    return profile
