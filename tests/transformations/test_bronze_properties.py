"""Properties of bronze parsing: whatever bytes arrive, each record lands exactly once.

Spark is slow per call, so every hypothesis example is a whole batch of Kafka records run
through one Spark job; the examples are derandomized so that CI sees the same ones.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyspark.sql import Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transformations.bronze import (
    EVENT_SCHEMA,
    EVENT_TYPES,
    REQUIRED_FIELDS,
    ValidationRules,
    parse_listening_events,
    quarantined_records,
    valid_events,
    with_kafka_coordinates,
)

KAFKA_SCHEMA = (
    "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
)
REASON_CODES = frozenset(
    {
        "empty_value",
        "payload_too_large",
        "invalid_utf8",
        "not_json_object",
        "invalid_json",
        "wrong_type",
        "missing_field",
        "unknown_event_type",
        "invalid_event_time",
        "event_time_too_old",
        "event_time_in_future",
        "invalid_ms_played",
    }
)
RULES = ValidationRules()
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Every batch is ingested at NOW (see `land`), so the event-time limits are exact instants.
NOW = dt.datetime.now(dt.UTC)
OLDEST_VALID = NOW - dt.timedelta(days=RULES.max_event_age_days)
NEWEST_VALID = NOW + dt.timedelta(minutes=RULES.max_event_future_minutes)

# The contract's event fields and their types; a JSON boolean is not a number.
FIELD_TYPES = {field.name: field.dataType for field in EVENT_SCHEMA if field.name[0] != "_"}
INTEGER_RANGES: dict[T.DataType, tuple[int, int]] = {
    T.LongType(): (-(2**63), 2**63 - 1),
    T.IntegerType(): (-(2**31), 2**31 - 1),
}
TEXT_FIELDS = tuple(name for name, kind in FIELD_TYPES.items() if kind == T.StringType())
# RFC 8259 whitespace, the only characters allowed before a JSON value.
JSON_WHITESPACE = " \t\r\n"
UNDECIDED = "undecided"

# No shrinking: each example is a Spark job, shrinking a batch would take many minutes, and
# the assertions already name the record that broke the property.
PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def land(spark: SparkSession, values: list[bytes | None]) -> tuple[list[Row], list[Row]]:
    """Bronze rows and quarantine rows of one batch of Kafka records (offsets 0..n-1)."""
    records = spark.createDataFrame(
        [(b"k", value, "plays", 0, offset, NOW) for offset, value in enumerate(values)],
        KAFKA_SCHEMA,
    )
    parsed = (
        records.transform(with_kafka_coordinates)
        # A fixed ingestion time instead of current_timestamp(): the event-time limits are
        # then exact instants, whenever the batch runs.
        .withColumn("ingested_at", F.col("kafka_timestamp"))
        .transform(parse_listening_events, RULES)
    )
    # Instants as microseconds since the epoch: collect() would shift timestamps into the
    # local time zone of the Python process.
    bronze = (
        parsed.transform(valid_events)
        .withColumn("event_at_micros", F.unix_micros("event_at"))
        .withColumn("ingested_at_micros", F.unix_micros("ingested_at"))
        .drop("event_at", "ingested_at", "kafka_timestamp")
        .withColumn("table", F.lit("bronze"))
    )
    quarantine = (
        parsed.transform(quarantined_records)
        .select("kafka_offset", "reason", F.col("raw_value").alias("quarantined_bytes"))
        .withColumn("table", F.lit("quarantine"))
    )
    # One Spark job per batch: both sinks' rows side by side.
    rows = bronze.unionByName(quarantine, allowMissingColumns=True).collect()
    return (
        [row for row in rows if row.table == "bronze"],
        [row for row in rows if row.table == "quarantine"],
    )


def reason_code(reason: str) -> str:
    """The machine-readable part of a quarantine reason."""
    return reason.split(":", 1)[0]


def codes_by_offset(bronze: list[Row], quarantine: list[Row]) -> dict[int, str | None]:
    """The reason code of each offset, None for the ones that went to bronze."""
    codes: dict[int, str | None] = {row.kafka_offset: None for row in bronze}
    return codes | {row.kafka_offset: reason_code(row.reason) for row in quarantine}


def assert_each_record_lands_once(
    values: list[bytes | None], bronze: list[Row], quarantine: list[Row]
) -> None:
    """Every offset in exactly one table; quarantine keeps the bytes and a known reason."""
    offsets = [row.kafka_offset for row in bronze] + [row.kafka_offset for row in quarantine]
    assert sorted(offsets) == list(range(len(values)))
    for row in quarantine:
        assert row.reason
        assert reason_code(row.reason) in REASON_CODES, row.reason
        stored = None if row.quarantined_bytes is None else bytes(row.quarantined_bytes)
        assert stored == values[row.kafka_offset]
    for row in bronze:
        value = values[row.kafka_offset]
        assert value is not None
        assert row.raw_value == value.decode("utf-8")


def micros(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // dt.timedelta(microseconds=1)


def assert_bronze_invariants(row: Row) -> None:
    """What every bronze row guarantees, whatever its payload was."""
    for name in REQUIRED_FIELDS:
        column = "event_at_micros" if name == "event_at" else name
        assert row[column] is not None, name
    assert row.event_type in EVENT_TYPES
    if row.ms_played is not None:
        assert row.ms_played >= 0
        if row.track_duration_ms is not None:
            assert row.ms_played <= row.track_duration_ms
    event_at = EPOCH + dt.timedelta(microseconds=row.event_at_micros)
    assert row.event_date == event_at.date()
    assert row.event_hour == event_at.hour
    ingested_at = EPOCH + dt.timedelta(microseconds=row.ingested_at_micros)
    assert event_at >= ingested_at - dt.timedelta(days=RULES.max_event_age_days)
    assert event_at <= ingested_at + dt.timedelta(minutes=RULES.max_event_future_minutes)


def fits_contract(name: str, value: Any) -> bool:
    """Whether a JSON value has the type the contract gives the field (null always fits)."""
    kind = FIELD_TYPES[name]
    if value is None:
        return True
    if kind == T.StringType():
        return isinstance(value, str)
    low, high = INTEGER_RANGES[kind]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")


def event_time(value: Any) -> dt.datetime | None:
    """The instant of an ISO-8601 timestamp with a zone; None for anything else."""
    if not isinstance(value, str) or not ISO_INSTANT.fullmatch(value):
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_fields_round_trip(row: Row, payload: dict[str, Any]) -> None:
    """A bronze row's typed columns hold exactly the payload's values, of the contract's type."""
    for name in FIELD_TYPES:
        if name != "event_at":
            assert fits_contract(name, payload.get(name)), (name, payload.get(name))
            assert row[name] == payload.get(name), name
    event_at = event_time(payload["event_at"])
    if event_at is not None:
        assert row.event_at_micros == micros(event_at)


# One return per check, in the order bronze applies them.
def expected_reason_code(payload: dict[str, Any]) -> str | None:  # noqa: PLR0911
    """The first failing check for a JSON object, None if valid, UNDECIDED if unsure.

    Unsure only about event times that are neither ISO instants nor free of digits: Spark
    reads many more spellings than this test models.
    """
    if not all(fits_contract(name, payload.get(name)) for name in FIELD_TYPES):
        return "wrong_type"
    if any(payload.get(name) is None for name in REQUIRED_FIELDS):
        return "missing_field"
    if payload["event_type"] not in EVENT_TYPES:
        return "unknown_event_type"
    event_at = event_time(payload["event_at"])
    if event_at is None:
        has_digit = any(character.isdigit() for character in payload["event_at"])
        return UNDECIDED if has_digit else "invalid_event_time"
    if event_at < OLDEST_VALID:
        return "event_time_too_old"
    if event_at > NEWEST_VALID:
        return "event_time_in_future"
    ms_played = payload.get("ms_played")
    duration = payload.get("track_duration_ms")
    if ms_played is not None and (ms_played < 0 or (duration is not None and ms_played > duration)):
        return "invalid_ms_played"
    return None


# Strategies.

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)


@st.composite
def iso_instants(draw: st.DrawFn, earliest: dt.datetime, latest: dt.datetime) -> str:
    """An ISO-8601 timestamp with a zone, in one of the spellings producers use."""
    span = (latest - earliest) // dt.timedelta(microseconds=1)
    moment = earliest + dt.timedelta(microseconds=draw(st.integers(0, span)))
    spelling = draw(st.sampled_from(["millis_z", "seconds_z", "offset"]))
    if spelling == "millis_z":
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if spelling == "seconds_z":
        return f"{moment:%Y-%m-%dT%H:%M:%S}Z"
    offset = draw(st.sampled_from([-720, -300, 0, 60, 330, 345, 840]))
    return moment.astimezone(dt.timezone(dt.timedelta(minutes=offset))).isoformat()


# The spellings that drop digits move an instant back by under a second: start a second in.
valid_instants = iso_instants(OLDEST_VALID + dt.timedelta(seconds=1), NEWEST_VALID)
# The limits themselves are valid; a microsecond beyond them is not.
limits_inside = st.sampled_from([OLDEST_VALID, NEWEST_VALID]).map(
    lambda moment: moment.isoformat(timespec="microseconds")
)
limits_outside = st.sampled_from(
    [OLDEST_VALID - dt.timedelta(microseconds=1), NEWEST_VALID + dt.timedelta(microseconds=1)]
).map(lambda moment: moment.isoformat(timespec="microseconds"))
event_times = st.one_of(
    valid_instants,
    limits_inside,
    limits_outside,
    iso_instants(NOW - dt.timedelta(days=4000), OLDEST_VALID),
    iso_instants(NEWEST_VALID, NOW + dt.timedelta(days=4000)),
    st.text(max_size=20),
)

# Each field: values of its own type, good and bad.
typed_values: dict[str, st.SearchStrategy[Any]] = {
    name: st.text(max_size=20) for name in TEXT_FIELDS
} | {
    "event_type": st.sampled_from([*EVENT_TYPES, "PLAY", "pause", ""]),
    "event_at": event_times,
    "track_duration_ms": st.integers(min_value=-5, max_value=2**64),
    "ms_played": st.integers(min_value=-5, max_value=2**64),
    "schema_version": st.integers(min_value=-(2**32), max_value=2**32),
}
# Unknown fields: random names, some only a case or a space away from a known one.
unknown_names = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["EVENT_ID", "User_Id", "event_id ", "_corrupt_record", "payload"]),
).filter(lambda name: name not in FIELD_TYPES)


@st.composite
def json_events(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON object with a random subset of the event fields, plus unknown ones."""
    body: dict[str, Any] = {}
    for name in FIELD_TYPES:
        presence = draw(st.sampled_from(["typed", "typed", "typed", "any", "absent"]))
        if presence == "typed":
            body[name] = draw(typed_values[name])
        elif presence == "any":
            body[name] = draw(json_values)
    return body | draw(st.dictionaries(unknown_names, json_values, max_size=2))


@st.composite
def valid_json_events(draw: st.DrawFn) -> dict[str, Any]:
    """An event that satisfies the contract; optional fields absent, null or set."""
    body: dict[str, Any] = {
        name: draw(st.text(max_size=20)) for name in REQUIRED_FIELDS if name in TEXT_FIELDS
    }
    body["event_type"] = draw(st.sampled_from(EVENT_TYPES))
    body["event_at"] = draw(valid_instants | limits_inside)
    duration = draw(st.none() | st.integers(min_value=0, max_value=2**63 - 1))
    optional: dict[str, Any] = {
        name: draw(st.text(max_size=20)) for name in TEXT_FIELDS if name not in REQUIRED_FIELDS
    }
    optional["track_duration_ms"] = duration
    optional["ms_played"] = draw(st.integers(0, 2**63 - 1 if duration is None else duration))
    optional["schema_version"] = draw(st.integers(-(2**31), 2**31 - 1))
    for name, value in optional.items():
        presence = draw(st.sampled_from(["set", "set", "null", "absent"]))
        if presence != "absent":
            body[name] = value if presence == "set" else None
    extras = draw(st.dictionaries(unknown_names, json_values, max_size=2))
    # Unknown fields first or last: their position must not matter.
    return extras | body if draw(st.booleans()) else body | extras


@st.composite
def serialized(draw: st.DrawFn, events: st.SearchStrategy[dict[str, Any]]) -> bytes:
    """A JSON object as a producer might write it: compact or indented, escaped or not."""
    body = draw(events)
    indent = draw(st.sampled_from([None, None, 2]))
    ensure_ascii = draw(st.booleans())
    leading = draw(st.sampled_from(["", "", " ", "\n", "\t", "\r\n  "]))
    return (leading + json.dumps(body, indent=indent, ensure_ascii=ensure_ascii)).encode()


def mutate(value: bytes, position: int, length: int, replacement: bytes) -> bytes:
    """Replace `length` bytes at `position` (modulo the size) with `replacement`."""
    start = position % (len(value) + 1)
    return value[:start] + replacement + value[start + length :]


def padded_to(size: int) -> bytes:
    """A JSON object padded with an unknown field to exactly `size` bytes."""
    body = json.dumps({"event_id": "e", "pad": ""}).encode()
    return body[:-2] + b"x" * (size - len(body)) + body[-2:]


surrogate_text = st.text(st.characters(categories=["Cs", "Ll"]), min_size=1, max_size=10)
small_values: st.SearchStrategy[bytes | None] = st.one_of(
    st.none(),
    st.just(b""),
    st.binary(max_size=200),
    st.text(max_size=100).map(str.encode),
    surrogate_text.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60).map(lambda tail: b"{" + tail),
    st.builds(
        mutate,
        serialized(valid_json_events()),
        st.integers(min_value=0, max_value=2000),
        st.integers(min_value=0, max_value=3),
        st.binary(max_size=3),
    ),
)
large_values = st.one_of(
    st.builds(padded_to, st.integers(RULES.max_payload_bytes - 1, RULES.max_payload_bytes + 1)),
    st.builds(
        lambda fill, count: b'{"event_id": "' + fill * count + b'"}',
        st.sampled_from([b"a", b"\xc3\xa9", b"\xff"]),
        st.integers(min_value=30_000, max_value=40_000),
    ),
)


def batches(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Enough records per example to make each Spark job worth its start-up."""
    return st.lists(values, min_size=20, max_size=60)


def is_strict_json_object(text: str) -> bool:
    """Whether text is one JSON object by the RFC (no NaN, nothing after it)."""

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    try:
        return isinstance(json.loads(text, parse_constant=refuse), dict)
    except ValueError:
        return False


def expected_early_code(value: bytes | None) -> str | None:
    """The reason code the checks before JSON parsing must give, None if they all pass."""
    if not value:
        return "empty_value"
    if len(value) > RULES.max_payload_bytes:
        return "payload_too_large"
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    if not text.lstrip(JSON_WHITESPACE).startswith("{"):
        return "not_json_object"
    return None


# The properties.


@PROPERTY_SETTINGS
@given(small=batches(small_values), large=st.lists(large_values, max_size=3))
def test_any_bytes_land_exactly_once_with_a_known_reason(
    spark: SparkSession, small: list[bytes | None], large: list[bytes]
) -> None:
    # A few large payloads per batch: around the size limit, they are slow to build and send.
    values = small + large
    bronze, quarantine = land(spark, values)

    assert_each_record_lands_once(values, bronze, quarantine)
    codes = codes_by_offset(bronze, quarantine)
    for offset, value in enumerate(values):
        early = expected_early_code(value)
        shown = value if value is None else value[:300]
        if early is not None:
            assert codes[offset] == early, shown
        else:
            assert value is not None
            assert codes[offset] not in {"empty_value", "payload_too_large", "invalid_utf8"}
            if is_strict_json_object(value.decode("utf-8")):
                assert codes[offset] not in {"not_json_object", "invalid_json"}, shown
    for row in bronze:
        assert_bronze_invariants(row)


@PROPERTY_SETTINGS
@given(values=batches(serialized(json_events())))
def test_json_objects_land_once_and_bronze_rows_keep_the_contract(
    spark: SparkSession, values: list[bytes]
) -> None:
    records: list[bytes | None] = list(values)
    bronze, quarantine = land(spark, records)

    assert_each_record_lands_once(records, bronze, quarantine)
    payloads = [json.loads(value) for value in values]
    for row in bronze:
        assert_bronze_invariants(row)
        assert_fields_round_trip(row, payloads[row.kafka_offset])
    codes = codes_by_offset(bronze, quarantine)
    for offset, payload in enumerate(payloads):
        expected = expected_reason_code(payload)
        if expected != UNDECIDED:
            assert codes[offset] == expected, values[offset][:300]


@PROPERTY_SETTINGS
@given(events=batches(valid_json_events()), data=st.data())
def test_valid_events_always_pass_and_keep_their_values(
    spark: SparkSession, events: list[dict[str, Any]], data: st.DataObject
) -> None:
    values: list[bytes | None] = [data.draw(serialized(st.just(body))) for body in events]

    bronze, quarantine = land(spark, values)

    assert [(row.kafka_offset, row.reason) for row in quarantine] == []
    assert sorted(row.kafka_offset for row in bronze) == list(range(len(events)))
    for row in bronze:
        body = events[row.kafka_offset]
        assert_bronze_invariants(row)
        assert_fields_round_trip(row, body)
        assert event_time(body["event_at"]) is not None
        assert (row.kafka_key, row.kafka_topic, row.kafka_partition) == ("k", "plays", 0)
