"""docs/RELIABILITY.md: the drills' figures as a table, with the command that made them."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from lakehouse.reliability.scenarios import Scale, ScenarioResult

COMMAND = "make reliability   # = .venv/bin/lakehouse reliability --scale full"


def _machine() -> str:
    cores = os.cpu_count() or 0
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {cores} cores, {memory:.0f} GiB RAM"


EXACTLY_ONCE = """## One query, two tables: why it is exactly once

The bronze job is one streaming query; each micro-batch writes the valid events to bronze,
counting the rejected records in the same pass, then, only if there are any, reads the batch
again and writes them to quarantine (`jobs/bronze_writer.py`).

1. Spark writes the batch's Kafka offsets and its timestamp to the checkpoint
   (`offsets/N`) before the batch runs, and marks it done (`commits/N`) after both writes
   return. A batch cut short runs again with the same records and the same timestamp.
2. `ingested_at` is that timestamp (it is stamped in the stream, not in the batch
   function), so the checks that use it (event time too old, in the future) give the same
   answers on the second run: each record falls on the same side again.
3. Each table write is one Delta transaction that commits the data files together with
   a transaction id, as Delta's idempotent-write options (txnAppId, txnVersion) do: the
   app id `bronze_ingest-<query id>` (the id Spark keeps in the checkpoint: fixed for it,
   new when it is reset) with the batch id as its version. Delta commits them
   atomically. Before it writes, the transaction reads the app's newest version from the
   checksum of the commit it started from (from the table state when that commit has
   none) and skips the write when the table holds the batch; it registers the app id as
   read, so Delta's conflict check refuses a concurrent commit for the same app id
   (`jobs/spark_files.py::append_in_transaction`). A kill between bronze's commit and
   quarantine's leaves bronze with batch N and quarantine without it; the run again skips
   bronze and writes quarantine. A skipped write counts nothing, so when bronze's
   transaction finds the batch there the job counts the rejected records on their own
   and writes them unless quarantine holds the batch too.
4. The job's compaction beside the stream (`jobs/bronze_compaction.py`, a thread of the
   continuous job) commits OPTIMIZE: the same rows in fewer files, no data change, no
   transaction id. Delta checks a commit without data change with snapshot isolation, and
   the batches' appends read no files, so neither fails the other; the compaction's commit
   carries the app ids' versions in its checksum like any other, so a batch run again after
   it is still found. A kill during a pass leaves only files no commit names (VACUUM deletes
   them); the kill -9 drill counts the compactions committed between its kills.

Where it would break:
- **A reset checkpoint over kept tables.** A new checkpoint means a new query id, so
  nothing is skipped, and the query reads from `ingest.starting_offsets` again: rows
  already in the tables are written twice. Reset both, or neither.
- **Changing the parser or `ingest.max_event_*` between a crash and the restart.** The
  batch that runs again is validated by the new rules, so a record can move between the
  tables: one table holds the old answer, the other the new one.
- **Expiring Delta's transaction ids** (`delta.setTransactionRetentionDuration`) sooner
  than the longest a batch can wait to be run again.
- **A second writer** on the same checkpoint or tables: the job's locks refuse it
  (exit code 3; drilled above).

A lake the two-query job wrote carries on: the first run starts where both old tables end
(the old checkpoints' offsets, one batch further for a table whose Delta sink committed a
batch the checkpoint had not marked), or refuses (exit code 5) when they end apart, and
says what to run (`tests/jobs/test_upgrade.py`).

"""


def render(results: list[ScenarioResult], scale: Scale, seed: int) -> str:
    """The report as markdown."""
    header = (
        "| scenario | events | kills (in commit window / between the tables) | restarts "
        "| bad records | lost "
        "| duplicated | result | seconds |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n"
    )
    rows = "".join(
        f"| {r.name} | {r.events:,} | {r.kills} ({r.commit_kills} / {r.between_tables_kills}) "
        f"| {r.restarts} "
        f"| {r.bad_records:,} | {r.lost:,} | {r.duplicated:,} "
        f"| {'pass' if r.passed else '**FAIL**'} | {r.seconds:.0f} |\n"
        for r in results
    )
    details = "".join(f"- **{r.name}**: {r.description} {r.notes.strip()}\n" for r in results)
    return (
        "# Reliability\n\n"
        "What the bronze ingest does under faults, measured by drills on a real local stack "
        "(Kafka broker, spark-submit, Delta, dbt on DuckDB). *Events* is what Kafka holds "
        "at the end; *lost* counts Kafka records found in neither bronze nor quarantine; "
        "*duplicated* counts extra copies of a Kafka coordinate (topic, partition, offset) "
        "across bronze and quarantine (and, for duplicate sends, extra silver rows per "
        "event id).\n\n"
        f"Scale **{scale.name}**, seed {seed}, {_machine()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"{header}{rows}\n"
        "## Scenarios\n\n"
        f"{details}\n"
        f"{EXACTLY_ONCE}"
        "## Regenerate\n\n"
        f"```bash\n{COMMAND}\n```\n\n"
        "The default test suite (`make test`) runs every drill at the reduced scale "
        "(`tests/lakehouse/reliability/test_scenarios.py`).\n"
    )


def write(path: Path, results: list[ScenarioResult], scale: Scale, seed: int) -> None:
    """Write the report file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results, scale, seed))
