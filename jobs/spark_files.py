"""Files Spark's own file systems read for the jobs: checkpoints and Delta transactions.

Through Hadoop's FileSystem, as Spark reads them, so local folders and s3a:// alike.
"""

from __future__ import annotations

from pyspark.sql import SparkSession


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
