"""The bronze stage profile's lever table on the benchmark page, from the figures."""

from __future__ import annotations

from bench.ingest_profile import lever
from bench.report import levers_table


def test_each_lever_is_a_row_with_both_settings_and_their_ratio() -> None:
    row = lever("optimized writes", "on", "off", stage="bronze write", job_s=12.0, other_s=30.0)

    table = levers_table([row])

    assert "| optimized writes (bronze write) | on | 12.0 | off | 30.0 | 2.50 |" in table


def test_a_run_without_levers_says_so() -> None:
    assert levers_table([])[0].startswith("Levers: not measured at this scale")
