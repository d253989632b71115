"""Compaction beside the stream: a thread of the continuous ingest job OPTIMIZEs the small
files of bronze and quarantine every `ingest.compaction_interval_seconds`, off the
micro-batches' path.

Why not Delta's auto compaction: it runs as a post-commit hook, inside the commit of the
micro-batch whose partition reached 50 small files, so that batch (about one in fifty at a
1 s trigger, and the next one too when a second open hour follows) stalled for 3.5-10 s and
the events behind it waited (README, "Performance"). Here the micro-batches commit without
waiting, and a pass compacts whatever accumulated meanwhile, in every partition (late
events' hours too). On a busy machine a pass still takes CPU from the batches beside it.

What a pass rewrites: in each partition, the files smaller than MIN_FILE_SIZE, packed into
files of up to MAX_FILE_SIZE, when there are at least two of them. The compaction commits no
data change, so Delta checks it with snapshot isolation: an append committed meanwhile does
not conflict with it, and the append, which read no files, does not conflict with the files
it removed. A kill during a pass leaves only uncommitted files, which VACUUM deletes; the
rows are the same before and after, so exactly-once is untouched (the kill -9 drill runs
with passes between its kills). A pass that fails (a concurrent OPTIMIZE of the same
partition by the maintenance job, say) is logged and the next pass tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

# A pass rewrites the files under MIN_FILE_SIZE into files of up to MAX_FILE_SIZE. A micro-batch
# of the continuous job writes files of about 1 MB (10,000 events/s, 1 s trigger, two open
# hours), so a pass a minute makes files of tens of MB that later passes leave alone: each
# row is rewritten once. (Auto compaction's 64 MB would rewrite the open hour's growing file
# in every pass.) The maintenance job's OPTIMIZE packs closed hours into Delta's 1 GB files.
MIN_FILE_SIZE = 4 * 1024 * 1024
MAX_FILE_SIZE = 128 * 1024 * 1024
OPTIMIZE_SETTINGS = {
    "spark.databricks.delta.optimize.minFileSize": str(MIN_FILE_SIZE),
    "spark.databricks.delta.optimize.maxFileSize": str(MAX_FILE_SIZE),
    # One file at a time (one task): a pass takes one core at most, never the batches' all.
    "spark.databricks.delta.optimize.maxThreads": "1",
}
JOB_GROUP = "bronze-compaction"


def compact_small_files(spark: SparkSession, location: str) -> tuple[int, int]:
    """OPTIMIZE the Delta table at `location` with OPTIMIZE_SETTINGS (set on `spark`'s
    session); returns (files removed, files added)."""
    for key, value in OPTIMIZE_SETTINGS.items():
        spark.conf.set(key, value)
    rows = DeltaTable.forPath(spark, location).optimize().executeCompaction().collect()
    metrics = rows[0]["metrics"] if rows else None
    if metrics is None:
        return 0, 0
    return int(metrics["numFilesRemoved"]), int(metrics["numFilesAdded"])


def known_version(spark: SparkSession, location: str) -> int:
    """The newest version of the Delta table at `location` this process knows of (its own
    commits included), without reading the log."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    delta_log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, location)
    return int(delta_log.unsafeVolatileSnapshot().version())


class BackgroundCompaction:
    """Compact tables every `interval_seconds` in a daemon thread until `stop()`.

    The thread's Spark jobs run in their own job group, so `stop()` cancels a pass in
    flight instead of waiting for it.
    """

    def __init__(
        self, spark: SparkSession, locations: Sequence[str], interval_seconds: float
    ) -> None:
        self.spark = spark
        self.locations = list(locations)
        self.interval_seconds = interval_seconds
        self.passes = 0
        self._stopping = threading.Event()
        self._in_pass = threading.Event()
        # The version each table had after this thread's last pass over it: a table the job
        # has not written since is skipped (a pass costs a rebuild of the table's state).
        self._compacted_at: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name=JOB_GROUP, daemon=True)

    def start(self) -> BackgroundCompaction:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the pass in flight is cancelled; returns once the thread has ended."""
        self._stopping.set()
        if self._in_pass.is_set():
            self.spark.sparkContext.cancelJobGroup(JOB_GROUP)
        self._thread.join()

    def _run(self) -> None:
        self.spark.sparkContext.setJobGroup(
            JOB_GROUP, "compact the ingest job's tables", interruptOnCancel=True
        )
        # The first pass runs at once: it compacts what the last run left and loads and
        # compiles the compaction's code beside the job's own warm-up, not later in the
        # steady state, where the first pass took 9 s for two files (one core).
        while not self._stopping.is_set():
            self._in_pass.set()
            try:
                for location in self.locations:
                    if self._stopping.is_set():
                        return
                    self._compact(location)
            finally:
                self._in_pass.clear()
            self.passes += 1
            self._stopping.wait(self.interval_seconds)

    def _compact(self, location: str) -> None:
        started = time.perf_counter()
        try:
            if known_version(self.spark, location) == self._compacted_at.get(location):
                return
            removed, added = compact_small_files(self.spark, location)
            self._compacted_at[location] = known_version(self.spark, location)
        except Exception as error:  # a failed pass must not stop the job
            if not self._stopping.is_set():
                lines = str(error).strip().splitlines() or [""]
                print(
                    f"[compaction] {location} failed, next pass in {self.interval_seconds:g} s: "
                    f"{type(error).__name__}: {lines[0]}",
                    flush=True,
                )
            return
        if removed:
            print(
                f"[compaction] {location}: {removed:,} small files into {added:,} "
                f"({time.perf_counter() - started:.1f} s)",
                flush=True,
            )
