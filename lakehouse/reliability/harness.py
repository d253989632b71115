"""Pieces for fault drills: a killable bronze job, background traffic, Delta commit readers.

The ground truth of a drill is the ledger (lakehouse.monitoring.reconcile): every Kafka
record has a coordinate (topic, partition, offset); after the drill each coordinate must
appear exactly once across bronze and quarantine, and their number must equal what Kafka
holds.

The commit readers (delta_versions, commit_actions, streaming_batch_of,
transaction_versions) read `_delta_log/<version>.json` themselves, not through the
`deltalake` package: the drills need the `txn` action of each commit (which micro-batch
wrote it), and deltalake 1.6.6 gives only the latest transaction version per application
id of a snapshot (`DeltaTable.transaction_version`) and, per commit, only its commitInfo
(`history()`), which for the job's idempotent foreachBatch writes names no batch. Rebuilding
each commit's batch from deltalake would mean loading every version's snapshot and comparing
them. The readers expect the JSON commit files of a young local table (a drill's, never one
whose old commits log cleanup has removed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from lakehouse.pipeline import configured_catalog
from lakehouse.settings import Settings
from lakehouse.simulator import generate_events, producer_config
from lakehouse.streaming.spark_submit import spark_environment, spark_submit_command


class JobProcess:
    """The bronze job run through spark-submit in its own process group, so kill -9 is total."""

    def __init__(self, settings: Settings, trigger: str, log_path: Path) -> None:
        self.command = spark_submit_command(settings, job_args=["--trigger", trigger])
        self.environment = {**os.environ, **spark_environment(settings)}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        """Launch the job (output appended to the log file)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    @property
    def running(self) -> bool:
        """True while the job's process is alive."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9 the whole process group: the JVM and the Python driver, mid-whatever."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout_seconds: float = 60.0) -> int:
        """Ask the job to stop (SIGTERM: queries stop cleanly), kill it after the timeout."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode or 0)

    def wait(self, timeout_seconds: float) -> int:
        """Wait for the job to end by itself; its exit code."""
        assert self.process is not None
        return int(self.process.wait(timeout_seconds))

    def log_tail(self, lines: int = 40) -> str:
        """The end of the job's log, without Java stack frames."""
        kept = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(line for line in kept if not line.startswith("\tat "))

    def ensure_running(self) -> None:
        """Raise, with the end of its log, when the job has exited by itself: a continuous
        job that stops on its own is a failure of the drill, not a moment to kill it at."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"the job exited by itself with code {self.process.returncode} "
                f"({self.log_path}); its log ends:\n{self.log_tail()}"
            )


BAD_PAYLOADS: tuple[Callable[[bytes], bytes | None], ...] = (
    lambda good: good[: len(good) // 2],  # truncated JSON
    lambda good: b"\xff\xfe" + good,  # invalid UTF-8
    lambda good: b"[" + good + b"]",  # JSON, not an object
    lambda good: None,  # null value
    lambda good: good.replace(b'"user_id"', b'"user"'),  # missing required field
    lambda good: good.replace(b'"event_type":"', b'"event_type":"re'),  # unknown event type
)


class Traffic(threading.Thread):
    """Produces simulated events (with a share of bad ones) at a steady rate in the background."""

    def __init__(
        self, settings: Settings, *, events: int, rate: float, bad_every: int, seed: int
    ) -> None:
        super().__init__(name="traffic", daemon=True)
        self.settings = settings
        self.events = events
        self.rate = rate
        self.bad_every = bad_every
        self.seed = seed
        self.sent = 0
        self.bad = 0
        self.failed = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        """Send every event, pacing to the rate; failures are counted, never hidden."""
        try:
            self._produce()
        except BaseException as error:  # reported by the drill, which must not hang on it
            self.error = error

    def _on_delivery(self, error: object, message: object) -> None:
        if error is not None:
            self.failed += 1

    def _produce(self) -> None:
        catalog = configured_catalog(self.settings)
        producer = Producer(producer_config(self.settings.kafka_bootstrap))
        topics = self.settings.event_topics
        chooser = random.Random(self.seed)
        started = time.monotonic()
        stream = generate_events(
            catalog, count=self.events, seed=self.seed, end=datetime.now(UTC), window_hours=6
        )
        for number, event in enumerate(stream, start=1):
            value: bytes | None = event.to_json()
            if number % self.bad_every == 0:
                value = chooser.choice(BAD_PAYLOADS)(value or b"")
                self.bad += 1
            while True:
                try:
                    producer.produce(
                        event.topic(topics),
                        value=value,
                        key=event.key,
                        on_delivery=self._on_delivery,
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
            self.sent += 1
            if number % 500 == 0:
                producer.poll(0)
                ahead = number / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        remaining = producer.flush(120)
        self.failed += remaining


def delta_versions(location: str) -> list[int]:
    """Committed versions of a local Delta table, in order."""
    log = Path(location) / "_delta_log"
    if not log.is_dir():
        return []
    return sorted(int(name.name.split(".")[0]) for name in log.glob("*.json"))


def commit_actions(location: str, version: int) -> list[dict[str, Any]]:
    """The actions of one commit of a local Delta table."""
    commit = Path(location) / "_delta_log" / f"{version:020d}.json"
    return [json.loads(line) for line in commit.read_text().splitlines()]


def streaming_batch_of(location: str, version: int) -> int | None:
    """The streaming batch id a Delta commit recorded (its `txn` action), if any."""
    found = (a["txn"]["version"] for a in commit_actions(location, version) if "txn" in a)
    return next((int(batch) for batch in found), None)


def is_ingest_commit(actions: list[dict[str, Any]]) -> bool:
    """True for a micro-batch of the bronze job: its idempotent writes carry a `txn` action
    (compaction, OPTIMIZE and the table's creation do not)."""
    return any("txn" in action for action in actions)


def compaction_commits(location: str) -> int:
    """How many commits of the table are compactions (OPTIMIZE, the ingest job's own passes
    beside the stream included)."""
    return sum(
        1
        for version in delta_versions(location)
        for action in commit_actions(location, version)
        if action.get("commitInfo", {}).get("operation") == "OPTIMIZE"
    )


def transaction_versions(location: str) -> set[int]:
    """Every streaming batch id the table's commits recorded (their `txn` actions)."""
    return {
        batch
        for version in delta_versions(location)
        if (batch := streaming_batch_of(location, version)) is not None
    }


def committed_batch(checkpoint: str) -> int | None:
    """The last batch the checkpoint marked as committed."""
    commits = Path(checkpoint) / "commits"
    batches = [int(path.name) for path in commits.glob("[0-9]*")] if commits.is_dir() else []
    return max(batches, default=None)


def wait_for(condition: Callable[[], bool], timeout_seconds: float, every: float = 0.2) -> bool:
    """Poll until the condition holds; False on timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
