"""One small local run of the whole pipeline, shared by the notebook, dashboard and status tests.

Real broker, spark-submit, Delta and dbt, as `lakehouse demo` runs them, with what those
tests need to see: several bronze versions (history, time travel), plays in the last
minutes (now playing), a few quarantined records, and unread records in Kafka (lag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Producer

from lakehouse import pipeline
from lakehouse.kafka.broker import KafkaBroker, local_broker
from lakehouse.sandbox import sandbox_environment, sandbox_settings, use_environment
from lakehouse.settings import Settings

HISTORY_EVENTS = 1500
RECENT_EVENTS = 300
UNREAD_EVENTS = 45
# Small micro-batches, so bronze has several versions to travel between.
MAX_OFFSETS_PER_TRIGGER = 1500
NOW_PLAYING_MINUTES = 60
# Each lands in quarantine with its own reason.
BAD_RECORDS = (b"{not json", b'{"event_id": "only-an-id"}', b"\xff\xfe\xfd")


@dataclass(frozen=True)
class SmallRun:
    """The run's settings, the environment that gives them to a subprocess, and counts."""

    settings: Settings
    environment: dict[str, str]
    broker: KafkaBroker
    started_at: datetime
    built_at: datetime

    @property
    def ingested_events(self) -> int:
        """Valid events the bronze job wrote."""
        return HISTORY_EVENTS + RECENT_EVENTS


def send_bad_records(settings: Settings) -> None:
    """Records the bronze job must quarantine, on the plays topic."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for value in BAD_RECORDS:
        producer.produce(settings.kafka.topics["plays"], value=value, key=b"u-bad")
    assert producer.flush(30) == 0


def build_small_run(root: Path) -> SmallRun:
    """Start a broker under root, produce, ingest (available-now), build dbt, produce more.

    The broker keeps running: the caller stops it (`run.broker.stop()`).
    """
    environment = {
        **sandbox_environment(root),
        "LAKEHOUSE__INGEST__MAX_OFFSETS_PER_TRIGGER": str(MAX_OFFSETS_PER_TRIGGER),
        # Tests look at this run for as long as the suite lasts (under half an hour): it
        # stays fresh, and its recent plays stay "now", for that long.
        "LAKEHOUSE__STATUS__FRESHNESS_WARN_MINUTES": "60",
        "LAKEHOUSE__DASHBOARD__NOW_PLAYING_MINUTES": str(NOW_PLAYING_MINUTES),
    }
    settings = sandbox_settings(environment)
    broker = local_broker(settings)
    # spark-submit and dbt read the same settings from the environment.
    with use_environment(environment):
        pipeline.start_broker(settings)
        try:
            started_at = end = datetime.now(UTC)
            pipeline.produce(settings, events=HISTORY_EVENTS, rate=None, seed=81, end=end)
            lately = settings.simulator.model_copy(update={"window_hours": 0.2})
            pipeline.produce(
                settings.model_copy(update={"simulator": lately}),
                events=RECENT_EVENTS,
                rate=None,
                seed=82,
                end=end,
            )
            send_bad_records(settings)
            pipeline.ingest(settings, "available-now")
            pipeline.transform(settings)
            pipeline.produce(
                settings, events=UNREAD_EVENTS, rate=None, seed=83, end=datetime.now(UTC)
            )
        except BaseException:
            broker.stop()
            raise
    return SmallRun(settings, environment, broker, started_at, datetime.now(UTC))
