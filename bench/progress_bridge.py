"""What one streaming progress costs to reach a Python listener, both ways.

PySpark's own bridge copies a progress field by field over py4j; the bronze job's
listener takes it as one JSON text (jobs/bronze_ingest.py, JsonProgressBridge). This runs a
small query with an observed metric on the job's class path (the jars set-up downloaded,
which the JVM searches for each class PySpark looks up by name), takes its last progress,
and converts it both ways. Not part of `make bench` (the job's batches measure the
effect); run it alone:

    .venv/bin/python -m bench.progress_bridge
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.listener import StreamingQueryProgress

from lakehouse.config import load_settings
from lakehouse.streaming.spark_submit import jar_options, spark_jars

ROUNDS = 30
MASTER = "local[2]"


def median_ms(convert: Callable[[], object]) -> float:
    """Median milliseconds of ROUNDS conversions."""
    seconds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        convert()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def session_on_job_class_path(app_name: str) -> tuple[SparkSession, int]:
    """A local session with the connector jars local jobs get, the way spark-submit gives
    them to a local master; and how many jars that is."""
    jars = spark_jars(load_settings())
    _, class_path = jar_options(MASTER, jars)
    spark = (
        SparkSession.builder.master(MASTER)
        .appName(app_name)
        .config(map=dict(class_path))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark, len(jars)


def main() -> None:
    spark, jars = session_on_job_class_path("progress-bridge")
    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 1000)
        .load()
        .observe("counts", F.count(F.lit(1)).alias("records"))
        .writeStream.format("noop")
        .trigger(processingTime="500 milliseconds")
        .start()
    )
    while query.lastProgress is None or query.lastProgress.batchId < 3:
        time.sleep(0.2)
    query.stop()
    progress = query._jsq.lastProgress()
    field_by_field = median_ms(lambda: StreamingQueryProgress.fromJObject(progress))
    one_json_text = median_ms(lambda: StreamingQueryProgress.fromJson(json.loads(progress.json())))
    print(
        f"one progress ({jars} jars on the class path, median of {ROUNDS}): "
        f"PySpark's bridge {field_by_field:.1f} ms, one JSON text {one_json_text:.1f} ms "
        f"({field_by_field / one_json_text:.0f}x)"
    )
    spark.stop()


if __name__ == "__main__":
    main()
