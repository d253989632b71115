"""What the drain measurements read from the bronze job's log."""

from __future__ import annotations

from bench.drain import jit_times

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
