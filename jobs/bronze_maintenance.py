"""Bronze maintenance: compact closed hour partitions (OPTIMIZE), then VACUUM old files.

Run it with spark-submit like the ingest job (the maintenance DAG does):

    spark-submit <jars> jobs/bronze_maintenance.py --env local --closed-before 2026-11-23T10:00

It runs beside the streaming job on purpose without its lock: OPTIMIZE only rewrites
partitions the stream no longer writes to (Delta's conflict checks cover the rest: if the
job's own compaction beside the stream (jobs/bronze_compaction.py) rewrote a late event's
files in the same partition meanwhile, this run fails with Delta's concurrent-delete error
and its retry finds them compacted), and
VACUUM keeps every file younger than maintenance.vacuum_retention_hours, which the
configuration never lets go below Delta's 7-day safety floor (whose check stays on).

Exit codes: 0 done, 2 bad configuration, 5 the bronze table does not exist yet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.job_settings import EXIT_BAD_CONFIG, job_parser, load_job_settings
from lakehouse.settings import Settings

EXIT_OK = 0
EXIT_NO_TABLE = 5


def closed_partitions_predicate(closed_before: datetime) -> str:
    """SQL over the partition columns selecting hour partitions that end by `closed_before`."""
    day = closed_before.date().isoformat()
    return f"event_date < '{day}' or (event_date = '{day}' and event_hour < {closed_before.hour})"


def maintain(spark: SparkSession, settings: Settings, closed_before: datetime) -> int:
    """OPTIMIZE the closed hour partitions of bronze, then VACUUM it."""
    location = settings.bronze_events_location
    if not DeltaTable.isDeltaTable(spark, location):
        print(f"bronze_maintenance: no Delta table at {location} yet", file=sys.stderr)
        return EXIT_NO_TABLE
    table = DeltaTable.forPath(spark, location)
    predicate = closed_partitions_predicate(closed_before)
    metrics = table.optimize().where(predicate).executeCompaction().collect()
    print(f"[maintenance] OPTIMIZE where {predicate}: {metrics[0]['metrics'] if metrics else ''}")
    hours = settings.maintenance.vacuum_retention_hours
    # VACUUM lists files with this many tasks (10,000 by default): far too many for one
    # bronze table on a small cluster, where task start-up would dominate.
    spark.conf.set(
        "spark.sql.sources.parallelPartitionDiscovery.parallelism",
        str(settings.spark.shuffle_partitions),
    )
    table.vacuum(float(hours))
    print(f"[maintenance] VACUUM {location} retaining {hours} hours")
    return EXIT_OK


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments given after the job file on the spark-submit line."""
    parser = job_parser("bronze_maintenance", __doc__.splitlines()[0])
    parser.add_argument(
        "--closed-before",
        type=datetime.fromisoformat,
        required=True,
        help="compact hour partitions that end at or before this UTC time",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Compact and vacuum the bronze table once."""
    args = parse_args(argv)
    settings = load_job_settings(args, "bronze_maintenance")
    if settings is None:
        return EXIT_BAD_CONFIG
    spark = SparkSession.builder.appName(f"{settings.spark.app_name}-maintenance").getOrCreate()
    try:
        return maintain(spark, settings, args.closed_before)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
