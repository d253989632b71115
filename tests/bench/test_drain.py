"""What the drain measurements read from the bronze job's log, and how several runs of a
reader make one figure."""

from __future__ import annotations

import pytest

from bench.drain import DrainResult, alternately, jit_times, job_files, pooled
from bench.report import reader_runs
from lakehouse.config import load_settings
from lakehouse.streaming.spark_submit import spark_jars

# The part of HotSpot's -XX:+CITime report (JDK 17) the drain reads, as a job log holds it.
CITIME_REPORT = """\
[ingest] bronze_ingest: finished
Accumulated compiler times
----------------------------------------------------------
  Total compilation time   :  56.740 s
    Standard compilation   :  55.399 s, Average : 0.002 s
    C1 Compile Time:       11.406 s
       Setup time:            0.056 s
    C2 Compile Time:       45.172 s
       Setup time:            0.021 s
"""


def test_jit_times_come_from_the_jvms_compiler_report() -> None:
    assert jit_times(CITIME_REPORT) == (56.74, 45.172)


def test_a_log_without_the_report_gives_no_jit_times() -> None:
    assert jit_times("[ingest] bronze_ingest: finished\n") == (None, None)


def run(seconds: float, jit: float | None = None, records: int = 1_000) -> DrainResult:
    return DrainResult("reader", records, seconds, wall_seconds=seconds + 10, jit_seconds=jit)


def test_runs_of_a_reader_pool_into_their_means_and_keep_each_run() -> None:
    result = pooled([run(50.0, jit=40.0), run(40.0, jit=30.0)])

    assert (result.seconds, result.wall_seconds, result.jit_seconds) == (45.0, 55.0, 35.0)
    assert result.runs == (50.0, 40.0)
    assert result.events_per_second == 1_000 / 45.0
    # A timing some run lacks has no mean.
    assert result.c2_seconds is None
    assert pooled([run(50.0, jit=40.0), run(40.0)]).jit_seconds is None


def test_one_run_is_its_own_figure() -> None:
    single = run(50.0)
    assert pooled([single]) is single
    assert single.runs == ()


def test_runs_over_different_records_do_not_pool() -> None:
    with pytest.raises(ValueError, match="different records"):
        pooled([run(50.0), run(40.0, records=999)])


def test_readers_take_turns_and_each_gets_its_round_number() -> None:
    calls: list[str] = []

    def reader(name: str, seconds: float):
        def one_run(round_number: int) -> DrainResult:
            calls.append(f"{name}{round_number}")
            return run(seconds + round_number)

        return one_run

    python, bronze = alternately([reader("python", 20.0), reader("bronze", 40.0)], rounds=2)

    assert calls == ["python1", "bronze1", "python2", "bronze2"]
    assert (python.runs, bronze.runs) == ((21.0, 22.0), (41.0, 42.0))


def test_the_page_gives_each_run_of_a_pooled_reader() -> None:
    assert reader_runs([60.14, 55.2]) == (
        "; the mean of 2 runs taking turns with the other reader (60.1, 55.2 s)"
    )
    assert reader_runs([]) == reader_runs(None) == ""


def test_the_files_read_before_a_drain_are_those_the_jobs_jvm_loads_classes_from() -> None:
    settings = load_settings(environ={"LAKEHOUSE_ENV": "local"})

    files = job_files(settings)

    names = {path.name for path in files}
    assert "modules" in names  # the JDK's own classes
    assert any(name.startswith("spark-core_") for name in names)  # pyspark's jars
    assert set(spark_jars(settings)) <= set(files)  # the connector jars set-up resolved
    assert all(path.is_file() for path in files)
