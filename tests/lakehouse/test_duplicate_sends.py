"""Duplicate sends end to end: bronze keeps every copy, silver holds each event once.

Kafka delivers at least once: a producer replays a whole run, or retries single sends
without idempotence, and the copies are new records at new offsets. Bronze is the record
of what arrived, so it keeps them; silver deduplicates by event_id.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from confluent_kafka import Producer

from lakehouse import pipeline
from lakehouse.kafka.watermarks import count_messages
from lakehouse.lake.tables import SILVER_EVENTS_TABLE, lake_connection
from lakehouse.settings import Settings
from lakehouse.simulator import ListeningEvent, build_catalog, generate_events

pytestmark = pytest.mark.integration

EVENTS = 1_500
SEED = 31
RETRIED = 200


def simulated_events(settings: Settings, end: datetime) -> list[ListeningEvent]:
    """The events `pipeline.produce` sends for SEED and `end`, regenerated the same way."""
    simulator = settings.simulator
    catalog = build_catalog(
        seed=simulator.catalog_seed,
        users=simulator.users,
        artists=simulator.artists,
        tracks=simulator.tracks,
    )
    return list(
        generate_events(
            catalog, count=EVENTS, seed=SEED, end=end, window_hours=simulator.window_hours
        )
    )


def resend_without_idempotence(settings: Settings, events: list[ListeningEvent]) -> int:
    """Send each event once more, as a retrying producer without idempotence would."""
    producer = Producer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "enable.idempotence": False,
            "acks": "all",
        }
    )
    for event in events:
        producer.produce(event.topic(settings.event_topics), event.to_json(), event.key)
    assert producer.flush(30) == 0
    return len(events)


def test_bronze_keeps_every_send_and_silver_equals_the_unique_events(stack: Settings) -> None:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    first = pipeline.produce(stack, events=EVENTS, rate=None, seed=SEED, end=end)
    replay = pipeline.produce(stack, events=EVENTS, rate=None, seed=SEED, end=end)
    events = simulated_events(stack, end)
    # Retries hit some events once and some twice: the same record three or four times.
    rng = random.Random(SEED)
    retried = rng.sample(events, RETRIED)
    retries = resend_without_idempotence(stack, retried + retried[: RETRIED // 4])

    sends = first.total_delivered + replay.total_delivered + retries
    assert sends == 2 * EVENTS + RETRIED + RETRIED // 4
    assert count_messages(stack.kafka_bootstrap, stack.kafka.topics.values()) == sends

    pipeline.ingest(stack, "available-now")
    pipeline.transform(stack)

    with lake_connection(stack) as connection:
        bronze = connection.execute(
            "select event_id, count(*) from delta_scan(?) group by event_id",
            [stack.bronze_events_location],
        ).fetchall()
        quarantined = connection.execute(
            "select count(*) from delta_scan(?)", [stack.quarantine_location]
        ).fetchone()
    # Two copies of each event from the two runs, plus one per retry.
    expected_copies = Counter({event.event_id: 2 for event in events})
    expected_copies.update(event.event_id for event in retried + retried[: RETRIED // 4])
    assert dict(bronze) == expected_copies
    assert sum(expected_copies.values()) == sends
    assert quarantined == (0,)

    database = stack.path(stack.warehouse.duckdb_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        silver = connection.execute(
            "select event_id, event_type, user_id, track_id, event_at, ms_played "
            f"from {SILVER_EVENTS_TABLE}"
        ).fetchall()
    unique_events = {
        (
            event.event_id,
            event.event_type,
            event.user_id,
            event.track_id,
            event.occurred_at().astimezone(UTC).replace(tzinfo=None),
            event.ms_played,
        )
        for event in events
    }
    assert len(unique_events) == EVENTS
    assert len(silver) == EVENTS
    assert set(silver) == unique_events
