"""Schema drift through the real stack: Kafka -> bronze job -> dbt, without a crash.

Producers change before consumers do: they add fields, drop optional ones, and sometimes
change a field's type. Bronze keeps what fits its contract, keeps every byte of the
payload, and quarantines what conflicts with it (docs/SCHEMA_EVOLUTION.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from confluent_kafka import KafkaError, Message, Producer

from lakehouse import pipeline
from lakehouse.kafka.topics import ensure_topics
from lakehouse.lake.tables import SILVER_EVENTS_TABLE, lake_connection
from lakehouse.settings import Settings
from lakehouse.simulator import Catalog, generate_events, write_reference_data

pytestmark = pytest.mark.integration

OPTIONAL_FIELDS = ("artist_id", "session_id", "device", "country", "schema_version")
CONTEXT = {"os": {"name": "android", "version": 14}, "experiments": ["shuffle-v2"]}
Coordinates = tuple[str, int, int]


@dataclass
class Sent:
    """One record as sent: its kind of drift, its payload and where Kafka put it."""

    kind: str
    key: bytes
    payload: dict[str, Any]
    value: bytes
    delivered_to: Coordinates | None = None

    @property
    def coordinates(self) -> Coordinates:
        """Topic, partition and offset Kafka gave the record."""
        assert self.delivered_to is not None, "the record was not delivered"
        return self.delivered_to


def reference_catalog(settings: Settings) -> Catalog:
    """The catalogue of the stack (users and tracks the dbt relationship tests know)."""
    catalog = pipeline.configured_catalog(settings)
    write_reference_data(catalog, Path(settings.reference_location))
    return catalog


def drifted_records(catalog: Catalog) -> list[Sent]:
    """Normal events, then events with each kind of drift, all from the same catalogue."""
    changes: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        *(("normal", {}, ()) for _ in range(10)),
        ("added_top_level", {"app_version": "9.1.0"}, ()),
        ("added_nested", {"context": CONTEXT}, ()),
        ("added_both", {"app_version": "9.2.0", "context": CONTEXT}, ()),
        ("wrong_type", {"ms_played": "150000"}, ()),
        ("wrong_type", {"event_at": 1_764_000_000_000}, ()),
        ("wrong_type", {"user_id": {"id": catalog.users[0].user_id}}, ()),
        ("wrong_type", {"track_duration_ms": 180000.5}, ()),
        *(("missing_optional", {}, (name,)) for name in OPTIONAL_FIELDS),
        ("missing_optional", {}, OPTIONAL_FIELDS),
    ]
    end = datetime.now(UTC).replace(microsecond=0)
    events = generate_events(catalog, count=len(changes), seed=20, end=end, window_hours=6)
    records = []
    for event, (kind, replaced, dropped) in zip(events, changes, strict=True):
        payload = {name: value for name, value in event.to_dict().items() if name not in dropped}
        payload |= replaced
        records.append(Sent(kind, event.key, payload, json.dumps(payload).encode()))
    return records


def send(settings: Settings, records: list[Sent]) -> None:
    """Send each record keyed by its user to its event type's topic; note its coordinates."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    topics = settings.event_topics

    for record in records:

        def delivered(error: KafkaError | None, message: Message, record: Sent = record) -> None:
            partition, offset = message.partition(), message.offset()
            assert error is None, error
            assert partition is not None
            assert offset is not None
            record.delivered_to = (str(message.topic()), partition, offset)

        topic = topics[record.payload["event_type"]]
        producer.produce(topic, value=record.value, key=record.key, on_delivery=delivered)
    assert producer.flush(30) == 0


def lake_rows(settings: Settings, location: str, columns: str) -> list[tuple[Any, ...]]:
    """Rows of a Delta table in the lake."""
    with lake_connection(settings) as connection:
        return connection.execute(f"select {columns} from delta_scan(?)", [location]).fetchall()


def test_drifted_events_land_by_their_fit_and_dbt_still_builds(stack: Settings) -> None:
    ensure_topics(stack.kafka_bootstrap, stack.kafka.topics.values(), 2)
    records = drifted_records(reference_catalog(stack))
    send(stack, records)

    pipeline.ingest(stack, "available-now")

    coordinates = "kafka_topic, kafka_partition, kafka_offset"
    bronze = {
        (topic, partition, offset): rest
        for topic, partition, offset, *rest in lake_rows(
            stack,
            stack.bronze_events_location,
            f"{coordinates}, event_id, raw_value, artist_id, session_id, device, country, "
            "schema_version, ms_played",
        )
    }
    quarantine = {
        (topic, partition, offset): (reason, raw_value)
        for topic, partition, offset, reason, raw_value in lake_rows(
            stack, stack.quarantine_location, f"{coordinates}, reason, raw_value"
        )
    }
    # Every Kafka record exactly once: in bronze or in quarantine, never both.
    assert len(bronze) + len(quarantine) == len(records)
    assert set(bronze).isdisjoint(quarantine)
    assert set(bronze) | set(quarantine) == {record.coordinates for record in records}

    for record in records:
        if record.kind == "wrong_type":
            reason, raw_value = quarantine[record.coordinates]
            assert reason.split(":")[0] == "wrong_type", (reason, record.payload)
            assert bytes(raw_value) == record.value
            continue
        event_id, raw_value, *optional, ms_played = bronze[record.coordinates]
        assert event_id == record.payload["event_id"]
        assert ms_played == record.payload["ms_played"]
        # The raw payload keeps every field, known or not, exactly as sent.
        assert json.loads(raw_value) == record.payload
        assert dict(zip(OPTIONAL_FIELDS, optional, strict=True)) == {
            name: record.payload.get(name) for name in OPTIONAL_FIELDS
        }

    added = [record for record in records if record.kind.startswith("added")]
    assert [json.loads(bronze[r.coordinates][1]).get("context") for r in added] == [
        None,
        CONTEXT,
        CONTEXT,
    ]

    # dbt build runs its tests: optional nulls and drifted rows must not fail any.
    pipeline.transform(stack)

    database = stack.path(stack.warehouse.duckdb_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        silver = dict(
            connection.execute(f"select event_id, device from {SILVER_EVENTS_TABLE}").fetchall()
        )
        unknown_devices = connection.execute(
            "select sum(events) from gold.device_usage where device = 'unknown'"
        ).fetchone()
    in_bronze = [record for record in records if record.kind != "wrong_type"]
    assert set(silver) == {record.payload["event_id"] for record in in_bronze}
    without_device = [r.payload["event_id"] for r in in_bronze if "device" not in r.payload]
    assert [silver[event_id] for event_id in without_device] == [None, None]
    assert unknown_devices == (2,)
