"""Bronze parsing on small batch DataFrames shaped like the Kafka source."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transformations.bronze import (
    BRONZE_SCHEMA,
    QUARANTINE_COLUMNS,
    ValidationRules,
    parse_listening_events,
    quarantined_records,
    valid_events,
    with_kafka_coordinates,
)

KAFKA_SCHEMA = (
    "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EVENT_AT = (NOW - dt.timedelta(hours=1)).replace(minute=5, second=7)


def event(**changes: Any) -> dict[str, Any]:
    """A valid play event; keyword arguments replace (or, with None, drop) fields."""
    body: dict[str, Any] = {
        "event_id": "0b7f5d36-6f1e-4c43-9d0e-6f6c6ad4b8a1",
        "event_type": "play",
        "event_at": EVENT_AT.strftime("%Y-%m-%dT%H:%M:%S.250Z"),
        "user_id": "u-000001",
        "track_id": "t-000010",
        "artist_id": "a-00002",
        "session_id": "5d1c1f7e-0000-4000-8000-000000000001",
        "device": "mobile",
        "country": "SE",
        "track_duration_ms": 200_000,
        "ms_played": 150_000,
        "schema_version": 1,
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    return body


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def kafka_records(spark: SparkSession, values: list[bytes | None]) -> DataFrame:
    """One Kafka record per value on topic `plays`, partition 0, offsets 0..n-1."""
    timestamp = NOW.replace(tzinfo=None)
    rows = [
        (b"u-000001", value, "plays", 0, offset, timestamp) for offset, value in enumerate(values)
    ]
    return spark.createDataFrame(rows, KAFKA_SCHEMA)


def parse(spark: SparkSession, values: list[bytes | None], rules: ValidationRules | None = None):
    return (
        kafka_records(spark, values)
        .transform(with_kafka_coordinates)
        .transform(parse_listening_events, rules or ValidationRules())
    )


def reasons(spark: SparkSession, values: list[bytes | None], **rules: int) -> list[str | None]:
    parsed = parse(spark, values, ValidationRules(**rules))
    rows = parsed.orderBy("kafka_offset").select("quarantine_reason").collect()
    return [row.quarantine_reason for row in rows]


def test_valid_event_becomes_a_typed_bronze_row(spark: SparkSession) -> None:
    body = event()
    bronze = parse(spark, [encoded(body)]).transform(valid_events).drop("ingested_at")
    expected = spark.createDataFrame(
        [
            (
                body["event_id"],
                "play",
                EVENT_AT.replace(tzinfo=None) + dt.timedelta(milliseconds=250),
                "u-000001",
                "t-000010",
                "a-00002",
                body["session_id"],
                "mobile",
                "SE",
                200_000,
                150_000,
                1,
                json.dumps(body),
                "u-000001",
                "plays",
                0,
                0,
                NOW.replace(tzinfo=None),
                EVENT_AT.date(),
                EVENT_AT.hour,
            )
        ],
        "event_id string, event_type string, event_at timestamp, user_id string, "
        "track_id string, artist_id string, session_id string, device string, "
        "country string, track_duration_ms long, ms_played long, schema_version int, "
        "raw_value string, kafka_key string, kafka_topic string, kafka_partition int, "
        "kafka_offset long, kafka_timestamp timestamp, event_date date, event_hour int",
    )
    assert_df_equality(bronze, expected, ignore_nullable=True)


def test_bronze_and_quarantine_shapes_match_their_contracts(spark: SparkSession) -> None:
    parsed = parse(spark, [encoded(event()), b"not json"])
    bronze = parsed.transform(valid_events)
    assert [(f.name, f.dataType) for f in bronze.schema] == [
        (f.name, f.dataType) for f in BRONZE_SCHEMA
    ]
    assert tuple(parsed.transform(quarantined_records).columns) == QUARANTINE_COLUMNS


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty_value"),
        (b"", "empty_value"),
        (b'{"event_id": "x", "event_type"', "invalid_json"),
        (b"\xff\xfe\x00{}", "invalid_utf8"),
        (b"[1, 2, 3]", "not_json_object"),
        (b'"just a string"', "not_json_object"),
        (encoded(event(track_duration_ms="long")), "wrong_type"),
        # A string field holding another JSON type: from_json alone would read its text.
        (encoded(event(user_id={"id": 1})), "wrong_type"),
        (encoded(event(event_id=12345)), "wrong_type"),
        (encoded(event(event_type=True)), "wrong_type"),
        (encoded(event(event_at=1_715_000_000)), "wrong_type"),
        (encoded(event(device=["mobile"])), "wrong_type"),
        # An object with a duplicate key: the variant reader refuses it.
        (encoded(event(country=None))[:-1] + b', "country": {"a": 1, "a": 2}}', "wrong_type"),
        (encoded(event(user_id=None)), "missing_field: user_id"),
        (encoded(event(event_id=None, track_id=None)), "missing_field: event_id,track_id"),
        (encoded(event(event_type="dance")), "unknown_event_type: dance"),
        (encoded(event(event_at="yesterday")), "invalid_event_time: yesterday"),
        (encoded(event(event_at="1999-01-01T00:00:00Z")), "event_time_too_old"),
        (encoded(event(event_at="2999-01-01T00:00:00Z")), "event_time_in_future"),
        (encoded(event(ms_played=-1)), "invalid_ms_played"),
        (encoded(event(ms_played=300_000)), "invalid_ms_played"),
    ],
)
def test_bad_records_get_a_reason(spark: SparkSession, value: bytes | None, reason: str) -> None:
    (found,) = reasons(spark, [value])
    assert found is not None
    assert found.startswith(reason)


@pytest.mark.parametrize("whitespace", [b" ", b"\n", b"\t", b"\r\n  "])
def test_json_whitespace_before_the_object_is_allowed(
    spark: SparkSession, whitespace: bytes
) -> None:
    assert reasons(spark, [whitespace + encoded(event())]) == [None]


def test_explicit_nulls_in_optional_fields_are_valid(spark: SparkSession) -> None:
    optional = ("artist_id", "session_id", "device", "country", "track_duration_ms")
    body = event() | dict.fromkeys(optional)
    bronze = parse(spark, [encoded(body)]).transform(valid_events)
    (row,) = bronze.select(*optional).collect()
    assert row.asDict() == dict.fromkeys(optional)


def test_payload_over_the_limit_is_quarantined(spark: SparkSession) -> None:
    padded = encoded(event(device="mobile" + " " * 500))
    found = reasons(spark, [padded, encoded(event())], max_payload_bytes=400)
    assert found[0] == f"payload_too_large: {len(padded)} bytes > 400"
    assert found[1] is None


def test_unknown_extra_fields_are_kept_in_the_raw_payload(spark: SparkSession) -> None:
    body = event(new_field={"nested": True})
    bronze = parse(spark, [encoded(body)]).transform(valid_events)
    (row,) = bronze.select("event_id", "raw_value").collect()
    assert row.event_id == body["event_id"]
    assert json.loads(row.raw_value)["new_field"] == {"nested": True}


def test_quarantine_keeps_bytes_and_coordinates(spark: SparkSession) -> None:
    values = [encoded(event()), b"\xff\xfe\x00{}", None]
    quarantine = (
        parse(spark, values)
        .transform(quarantined_records)
        .select("raw_value", "kafka_topic", "kafka_partition", "kafka_offset", "reason")
        .withColumn("reason", F.split("reason", ":").getItem(0))
    )
    expected = spark.createDataFrame(
        [
            (bytearray(b"\xff\xfe\x00{}"), "plays", 0, 1, "invalid_utf8"),
            (None, "plays", 0, 2, "empty_value"),
        ],
        "raw_value binary, kafka_topic string, kafka_partition int, kafka_offset long, "
        "reason string",
    )
    assert_df_equality(quarantine, expected, ignore_nullable=True, ignore_row_order=True)


def test_every_record_lands_in_exactly_one_table(spark: SparkSession) -> None:
    values: list[bytes | None] = [
        encoded(event(event_id=f"id-{n}")) if n % 3 else b"broken" for n in range(30)
    ]
    values.append(None)
    parsed = parse(spark, values)
    bronze_offsets = {row.kafka_offset for row in parsed.transform(valid_events).collect()}
    quarantine_offsets = {
        row.kafka_offset for row in parsed.transform(quarantined_records).collect()
    }
    assert bronze_offsets.isdisjoint(quarantine_offsets)
    assert bronze_offsets | quarantine_offsets == set(range(len(values)))
    assert len(quarantine_offsets) == 11


@pytest.mark.parametrize("table", [valid_events, quarantined_records])
def test_each_record_is_parsed_once_per_table(spark: SparkSession, table: Any) -> None:
    """The filter on quarantine_reason stays above the parse (transformations.bronze._fenced):
    the optimized plan reads the record with the event schema once, not once per use."""
    plan = parse(spark, [encoded(event())]).transform(table)._jdf.queryExecution()
    optimized = plan.optimizedPlan().toString()
    assert optimized.count("from_json(StructField(event_id,StringType,true)") == 1
