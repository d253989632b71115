"""Files Spark's own file systems read for the jobs: checkpoints and Delta transactions.

Through Hadoop's FileSystem, as Spark reads them, so local folders and s3a:// alike.
"""

from __future__ import annotations

import re

from pyspark.sql import SparkSession

# What a Delta log holds once the table has a version: commit files, checkpoints and the
# pointer to the newest checkpoint. An interrupted write leaves only hidden temporary files.
DELTA_VERSION_FILE = re.compile(r"^\d{20}\.(json|checkpoint\..*parquet|crc)$|^_last_checkpoint$")


class HadoopCheckpointFiles:
    """Checkpoint files read through Hadoop's FileSystem, as Spark reads them (local or s3a)."""

    def __init__(self, spark: SparkSession) -> None:
        context = spark.sparkContext
        assert context._jvm is not None
        self._jvm = context._jvm
        self._hadoop_conf = context._jsc.hadoopConfiguration()

    def list_names(self, folder: str) -> list[str]:
        """Names of the files in a folder; empty when the folder does not exist."""
        path = self._jvm.org.apache.hadoop.fs.Path(folder)
        filesystem = path.getFileSystem(self._hadoop_conf)
        if not filesystem.exists(path):
            return []
        return [str(status.getPath().getName()) for status in filesystem.listStatus(path)]

    def exists(self, path: str) -> bool:
        """True when the file or folder exists."""
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        return bool(hadoop_path.getFileSystem(self._hadoop_conf).exists(hadoop_path))

    def delete_folder(self, folder: str) -> None:
        """Delete a folder and everything in it."""
        path = self._jvm.org.apache.hadoop.fs.Path(folder)
        path.getFileSystem(self._hadoop_conf).delete(path, True)

    def read_text(self, path: str) -> str:
        """The whole file as text."""
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        stream = hadoop_path.getFileSystem(self._hadoop_conf).open(hadoop_path)
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
    version = delta_log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())
    found = version.transactions().get(app_id)
    return int(found.get()) if found.isDefined() else None


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
    if not files.exists(log):
        return None
    names = files.list_names(log)
    if any(DELTA_VERSION_FILE.match(name) for name in names):
        return None
    files.delete_folder(log)
    return names
