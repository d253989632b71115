"""Which JVM options the benchmark's jobs run with, by scale."""

from __future__ import annotations

from bench.runner import around_the_drain
from bench.scales import FULL, MID, SMOKE
from lakehouse.config import load_settings
from lakehouse.sandbox import C1_ONLY


def test_at_smoke_scale_the_jobs_around_the_drain_compile_with_c1_alone() -> None:
    settings = load_settings(environ={"LAKEHOUSE_ENV": "local"})
    quick = around_the_drain(SMOKE, settings)
    assert (
        quick.spark.driver_java_options
        == f"-XX:+UseParallelGC -XX:InlineSmallCode=1000 -XX:MaxInlineLevel=9 {C1_ONLY}"
    )
    assert (
        settings.spark.driver_java_options
        == "-XX:+UseParallelGC -XX:InlineSmallCode=1000 -XX:MaxInlineLevel=9"
    )  # left as it was
    assert quick.spark.driver_memory == settings.spark.driver_memory


def test_published_scales_run_every_job_as_configured() -> None:
    settings = load_settings(environ={"LAKEHOUSE_ENV": "local"})
    for scale in (MID, FULL):
        assert around_the_drain(scale, settings) is settings
