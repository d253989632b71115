"""Which JVM options the benchmark's jobs run with, by scale, and the settings its
freshness alternatives run with."""

from __future__ import annotations

from bench.runner import alternative_overrides, around_the_drain, compaction_text
from bench.scales import FULL, MID, SMOKE, FreshnessAlternative
from lakehouse.config import load_settings
from lakehouse.sandbox import C1_ONLY
from lakehouse.settings import AUTO_COMPACT_SETTING


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


def test_the_auto_compaction_alternative_loads_as_compaction_in_the_commits_alone() -> None:
    environ = {"LAKEHOUSE_ENV": "local"}
    settings = load_settings(environ=environ)
    assert compaction_text(settings) == "beside the stream, every 60 s"

    overrides = alternative_overrides(
        FreshnessAlternative(auto_compaction=True), settings.spark.conf
    )
    other = load_settings(environ={**environ, **overrides})

    assert compaction_text(other) == "Delta auto compaction, in the commits"
    assert other.ingest.trigger_interval == settings.ingest.trigger_interval
    # Every other Spark setting stays as configured.
    assert {k: v for k, v in other.spark.conf.items() if k != AUTO_COMPACT_SETTING} == {
        k: v for k, v in settings.spark.conf.items() if k != AUTO_COMPACT_SETTING
    }
    slower = alternative_overrides(
        FreshnessAlternative(trigger_interval="3 seconds"), settings.spark.conf
    )
    assert slower == {"LAKEHOUSE__INGEST__TRIGGER_INTERVAL": "3 seconds"}
