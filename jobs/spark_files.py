"""Files Spark's own file systems read for the jobs: checkpoints and Delta transactions.

Through Hadoop's FileSystem, as Spark reads them, so local folders and s3a:// alike.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pyspark.sql import DataFrame, SparkSession

# What a Delta log holds once the table has a version: commit files, checkpoints and the
# pointer to the newest checkpoint. An interrupted write leaves only hidden temporary files.
DELTA_VERSION_FILE = re.compile(r"^\d{20}\.(json|checkpoint\..*parquet|crc)$|^_last_checkpoint$")


class HadoopCheckpointFiles:
    """Checkpoint and Delta log files through Hadoop's FileSystem, as Spark reads them (local
    or s3a)."""

    def __init__(self, spark: SparkSession) -> None:
        context = spark.sparkContext
        assert context._jvm is not None
        self._jvm = context._jvm
        self._hadoop_conf = context._jsc.hadoopConfiguration()

    def _located(self, path: str) -> tuple[Any, Any]:
        """The Hadoop path and the file system it lives on."""
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        return hadoop_path, hadoop_path.getFileSystem(self._hadoop_conf)

    def folder_names(self, folder: str) -> list[str] | None:
        """Names of the files in a folder; None when the folder does not exist."""
        path, filesystem = self._located(folder)
        if not filesystem.exists(path):
            return None
        return [str(status.getPath().getName()) for status in filesystem.listStatus(path)]

    def list_names(self, folder: str) -> list[str]:
        """Names of the files in a folder; empty when the folder does not exist."""
        return self.folder_names(folder) or []

    def delete_folder(self, folder: str) -> None:
        """Delete a folder and everything in it."""
        path, filesystem = self._located(folder)
        filesystem.delete(path, True)

    def read_text(self, path: str) -> str:
        """The whole file as text."""
        hadoop_path, filesystem = self._located(path)
        stream = filesystem.open(hadoop_path)
        try:
            return str(self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()


def delta_transaction_version(spark: SparkSession, location: str, app_id: str) -> int | None:
    """The newest txnVersion a Delta table recorded for an app id (a streaming query id for
    Delta's streaming sink); None when it has none, or there is no table."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    delta_log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, location)
    if not delta_log.tableExists():
        return None
    snapshot = delta_log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())
    return snapshot_transaction_version(snapshot, app_id)


def snapshot_transaction_version(snapshot: Any, app_id: str) -> int | None:
    """The newest txnVersion a Delta snapshot holds for an app id: from its checksum when it
    has one (no Spark job), else from the table state Delta rebuilds from the log."""
    recorded = checksum_transactions(snapshot)
    if recorded is None:
        found = snapshot.transactions().get(app_id)
        return int(found.get()) if found.isDefined() else None
    return recorded.get(app_id)


def append_in_transaction(frame: DataFrame, location: str, *, app_id: str, version: int) -> bool:
    """Append `frame` to the Delta table at `location` and record (app_id, version) in the
    same commit, unless the table already holds that version or a newer one for app_id;
    True when it wrote.

    What Delta's idempotent-write options (txnAppId, txnVersion) do, in one transaction:
    the files and a SetTransaction action are committed together, atomically, or not at
    all. Those options look the version up through `OptimisticTransaction.txnVersion`,
    which rebuilds the table's state from its log (three Spark jobs in every write, Delta
    4.4); here it comes from the transaction's snapshot like `snapshot_transaction_version`,
    from the checksum of the commit it read. The app id is registered as read, as
    txnVersion does, so a concurrent commit for the same app id fails this one
    (ConcurrentTransactionException) instead of writing the batch twice.

    The table must exist and hold every column of `frame` (jobs/bronze_writer.py
    `prepare_table`); the table's partitioning, constraints and statistics settings and
    the session's (optimized writes, auto compaction) apply as to any Delta write. The
    commit is a STREAMING UPDATE, as Delta's streaming sink records its batches.
    """
    transaction = idempotent_transaction(frame, location, app_id=app_id, version=version)
    if transaction is None:
        return False
    files = transaction.writeFiles(frame._jdf)
    transaction.commit(files, streaming_update(frame.sparkSession, app_id, version))
    return True


def streaming_update(spark: SparkSession, app_id: str, version: int) -> Any:
    """The Delta operation a streaming batch's append records in the table's history."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    return getattr(jvm.org.apache.spark.sql.delta, "DeltaOperations$StreamingUpdate")(
        jvm.org.apache.spark.sql.streaming.OutputMode.Append(),
        app_id,
        version,
        jvm.scala.Option.empty(),
    )


def idempotent_transaction(
    frame: DataFrame, location: str, *, app_id: str, version: int
) -> Any | None:
    """A Delta transaction on the table at `location` that will commit (app_id, version)
    with whatever it writes, and that read app_id; None when the table holds that version
    or a newer one for app_id (append_in_transaction)."""
    spark = frame.sparkSession
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    delta_log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, location)
    transaction = delta_log.startTransaction()
    if transaction.readVersion() < 0:
        raise TableNotPreparedError(
            f"{location} is not a Delta table yet: the job creates its tables when it starts "
            "(jobs/bronze_writer.py prepare_tables); create it before appending to it"
        )
    table_columns = set(transaction.metadata().schema().fieldNames())
    unknown = [column for column in frame.columns if column not in table_columns]
    if unknown:
        raise TableNotPreparedError(
            f"{location} has no column {', '.join(unknown)}: restart the job, which adds the "
            "contract's new columns to its tables when it starts (prepare_table)"
        )
    held = snapshot_transaction_version(transaction.snapshot(), app_id)
    if held is not None and held >= version:
        return None
    # Scala's protected buffer of the app ids this transaction read (what txnVersion fills):
    # Delta's conflict check refuses the commit if another one recorded app_id meanwhile.
    getattr(transaction.readTxn(), "$plus$eq")(app_id)
    transaction.updateSetTransaction(app_id, version, jvm.scala.Some(int(time.time() * 1000)))
    return transaction


class TableNotPreparedError(RuntimeError):
    """An append found no table at its location, or a table without one of the columns."""


def checksum_transactions(snapshot: Any) -> dict[str, int] | None:
    """The transaction versions a Delta snapshot's checksum holds, by app id; None when the
    snapshot has no checksum or the checksum left them out.

    Delta writes a checksum (`NNNN.crc`) with each commit, and keeps the one of its own last
    commit in memory; it holds every app id's newest txnVersion. Reading them there costs
    nothing, where `Snapshot.transactions` (and even `setTransactionsIfKnown`) rebuild the
    table's state from the log: three Spark jobs, a third of a small micro-batch's time
    (docs/PERFORMANCE.md, "Fixed cost of a micro-batch"). A commit whose checksum was never
    written (a crash right after the commit) or one with more app ids than Delta keeps in
    a checksum falls back to the state.
    """
    checksum = snapshot.checksumOpt()
    if not checksum.isDefined():
        return None
    transactions = checksum.get().setTransactions()
    if not transactions.isDefined():
        return None
    listed = transactions.get()
    entries = (listed.apply(index) for index in range(listed.size()))
    return {str(entry.appId()): int(entry.version()) for entry in entries}


def clear_uncommitted_delta_log(spark: SparkSession, location: str) -> list[str] | None:
    """Remove a `_delta_log` folder that holds no version of the table: the names it held
    (empty for an empty folder), or None when there was nothing to remove.

    A job killed while it created a table (kill -9, a lost container) can leave the log
    folder with no commit in it, only temporary files. Delta then says the location is no
    table, yet refuses to create one there (DELTA_TABLE_NOT_FOUND), so every restart would
    fail. Nothing was ever committed, so there is nothing to keep. Call it only where Delta
    has said the location is no table; a log with any version file is never touched.
    """
    files = HadoopCheckpointFiles(spark)
    log = f"{location.rstrip('/')}/_delta_log"
    names = files.folder_names(log)
    if names is None or any(DELTA_VERSION_FILE.match(name) for name in names):
        return None
    files.delete_folder(log)
    return names
